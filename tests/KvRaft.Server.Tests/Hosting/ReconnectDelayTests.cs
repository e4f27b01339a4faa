// Goal: a peer link that heals (a partition's end, a restarted peer) is redialled within the server's shortest
// election timeout, so a leader lost soon after a heal does not leave its survivors unable to exchange pre-votes
// (with the former 2 s cap they stalled 1.2-1.8 s); method: the transport's and the server's defaults compared.
using KvRaft.Server.Hosting;
using KvRaft.Transport;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ReconnectDelayTests
{
    [Fact]
    public void The_default_reconnect_backoff_cap_is_below_the_default_shortest_election_timeout()
    {
        var transport = new TransportOptions { LocalNodeId = 1, ClusterId = 1, ListenHost = "127.0.0.1", ListenPort = 1, Peers = [] };
        var server = new ServerOptions { Id = 1, PeerListen = "127.0.0.1:1", ClientListen = "127.0.0.1:2", Peers = "1=127.0.0.1:1", DataDir = "/tmp/unused" };

        var electionTimeoutMinMilliseconds = server.ElectionTicks * server.TickMilliseconds;

        Assert.True(transport.ReconnectDelayMaxMilliseconds < electionTimeoutMinMilliseconds,
            $"a healed link may be redialled {transport.ReconnectDelayMaxMilliseconds} ms late; the shortest election timeout is {electionTimeoutMinMilliseconds} ms");
    }
}
