// Goal: every node learns every peer's client address from the hellos, whichever side dialled (the lower id dials, the higher answers with its own hello); method: three real transports on loopback, each announcing a distinct address, their handlers awaited until each has heard both others.
namespace KvRaft.Transport.Tests;

public sealed class PeerHelloAddressTests
{
    [Fact]
    public async Task Each_node_hears_the_client_address_of_every_peer_dialled_or_dialling()
    {
        int[] ids = [1, 2, 3];
        await using var cluster = await Cluster.StartAsync(ids, options => options with { ClientAddress = () => $"client-{options.LocalNodeId}.example:80{options.LocalNodeId}" });
        foreach (var id in ids)
        {
            var others = ids.Where(other => other != id).Select(other => (other, $"client-{other}.example:80{other}")).ToHashSet();
            await cluster[id].Handler.ClientAddresses.WaitUntilAsync(heard => others.IsSubsetOf(heard), $"node {id} to hear both peers' client addresses");
        }
    }
}
