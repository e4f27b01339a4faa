using KvRaft.Client;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>What a joining node learned from the cluster: its id, initial voters, and the members' addresses.</summary>
internal sealed record JoinedCluster(ulong ClusterId, int[] InitialVoters, Dictionary<int, string> PeerAddresses, Dictionary<int, string> ClientAddresses);

/// <summary>The cluster refused the join, or could not be reached: the node does not start.</summary>
public sealed class JoinRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// --join (docs/operations.md, "Adding and removing members"): asks the cluster, over the client protocol, to add this
/// node as a learner with its own addresses (a learner already there under the same addresses is fine), then reads the
/// member list for the cluster id, the initial voters and the members' addresses. Over TLS when the node's own client
/// port has TLS (<see cref="ServerOptions.JoinTls"/>).
/// </summary>
internal static class ClusterJoin
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task<JoinedCluster> JoinAsync(ServerOptions options, ILogger logger)
    {
        try
        {
            await using var client = await KvClient.ConnectAsync(options.JoinEndpoints(), new KvClientOptions { OperationTimeout = Patience, Tls = options.JoinTls() }).ConfigureAwait(false);
            var listing = await client.MemberListAsync().ConfigureAwait(false);
            if (listing.InitialVoters.Contains(options.Id))
            {
                throw new JoinRefusedException($"node {options.Id} is one of the cluster's initial voters: a joining node takes an id the cluster never had");
            }
            if (options.ClusterId != 0 && options.ClusterId != listing.ClusterId)
            {
                throw new JoinRefusedException($"--cluster-id {options.ClusterId} is not the cluster's ({listing.ClusterId})");
            }
            logger.LogInformation("Joining cluster {ClusterId} through node {Node} as learner {Id}", listing.ClusterId, listing.NodeId, options.Id);
            await client.AddLearnerAsync(options.Id, options.PeerListen, options.ClientListen).ConfigureAwait(false);
            listing = await client.MemberListAsync().ConfigureAwait(false);
            return new JoinedCluster(listing.ClusterId, [.. listing.InitialVoters],
                Addresses(listing, member => member.PeerAddress), Addresses(listing, member => member.ClientAddress));
        }
        catch (KvException error)
        {
            throw new JoinRefusedException("the cluster did not add this node: " + error.Message, error);
        }
    }

    private static Dictionary<int, string> Addresses(MemberListing listing, Func<MemberInfo, string?> address) =>
        listing.Members.Where(member => address(member) is not null).ToDictionary(member => member.NodeId, member => address(member)!);
}
