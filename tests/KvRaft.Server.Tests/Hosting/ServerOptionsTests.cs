// Goal: the server's command line has no test machinery (--fault-control is refused as unknown), and --cluster-id lets nodes whose --peers differ (each naming its own relays) agree on one cluster; method: the server's own command line and option parsing on fixed inputs.
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ServerOptionsTests
{
    private static readonly string[] Required =
    [
        "--id", "1", "--peer-listen", "127.0.0.1:7001", "--client-listen", "127.0.0.1:8001",
        "--peers", "1=127.0.0.1:7001", "--data-dir", "/tmp/unused",
    ];

    [Fact]
    public async Task The_retired_fault_control_flag_is_refused_as_an_unknown_option()
    {
        (var exitCode, var parsed) = await ParseAsync([.. Required, "--fault-control"]);
        Assert.NotEqual(0, exitCode);
        Assert.Null(parsed);
    }

    [Fact]
    public async Task A_given_cluster_id_wins_over_the_one_derived_from_the_peers()
    {
        (_, var parsed) = await ParseAsync([.. Required, "--cluster-id", "42"]);
        Assert.Equal(42UL, parsed!.EffectiveClusterId());
        var direct = Options("1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003");
        var relayed = Options("1=127.0.0.1:7001,2=127.0.0.1:40001,3=127.0.0.1:40002");
        Assert.NotEqual(direct.EffectiveClusterId(), relayed.EffectiveClusterId());
        Assert.Equal((direct with { ClusterId = 42 }).EffectiveClusterId(), (relayed with { ClusterId = 42 }).EffectiveClusterId());
    }

    [Fact]
    public async Task The_connection_limits_have_their_documented_defaults_and_flags()
    {
        (_, var defaults) = await ParseAsync(Required);
        Assert.Equal((1024, 16 << 20, 1 << 20, 30_000), (defaults!.MaxClientConnections, defaults.MaxClientPendingResponseBytes, defaults.ClientPauseReadingBytes, defaults.ClientPartialFrameTimeoutMilliseconds));
        Assert.Equal(300_000, defaults.ClientIdleTimeoutMilliseconds);
        Assert.Equal((32, 8, 5_000, 30_000), (defaults.MaxPeerConnections, defaults.MaxPeerConnectionsBeforeHello, defaults.PeerHelloTimeoutMilliseconds, defaults.PeerIdleTimeoutMilliseconds));
        (_, var given) = await ParseAsync([.. Required, "--max-client-connections", "5", "--max-client-pending-response-bytes", "4096",
            "--client-pause-reading-bytes", "1024", "--client-partial-frame-timeout-ms", "100", "--client-idle-timeout-ms", "400", "--max-peer-connections", "4",
            "--max-peer-connections-before-hello", "2", "--peer-hello-timeout-ms", "200", "--peer-idle-timeout-ms", "300"]);
        Assert.Equal((5, 4096, 1024, 100), (given!.MaxClientConnections, given.MaxClientPendingResponseBytes, given.ClientPauseReadingBytes, given.ClientPartialFrameTimeoutMilliseconds));
        Assert.Equal(400, given.ClientIdleTimeoutMilliseconds);
        Assert.Equal((4, 2, 200, 300), (given.MaxPeerConnections, given.MaxPeerConnectionsBeforeHello, given.PeerHelloTimeoutMilliseconds, given.PeerIdleTimeoutMilliseconds));
        Assert.Throws<FormatException>(() => (given with { MaxPeerConnectionsBeforeHello = 5 }).Validate());
        Assert.Throws<FormatException>(() => (given with { ClientIdleTimeoutMilliseconds = 0 }).Validate());
    }

    private static ServerOptions Options(string peers) => new()
    {
        Id = 1,
        PeerListen = "127.0.0.1:7001",
        ClientListen = "127.0.0.1:8001",
        Peers = peers,
        DataDir = "/tmp/unused",
    };

    private static async Task<(int ExitCode, ServerOptions? Parsed)> ParseAsync(string[] arguments)
    {
        ServerOptions? parsed = null;
        var root = ServerCommand.Create((options, _) =>
        {
            parsed = options;
            return Task.FromResult(0);
        });
        var error = new StringWriter();
        var exitCode = await root.Parse(arguments).InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = error, Output = TextWriter.Null });
        return (exitCode, parsed);
    }
}
