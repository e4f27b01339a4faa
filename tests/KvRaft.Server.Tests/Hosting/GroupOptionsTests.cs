// Goal: --groups defaults to the one-group server (0 data groups), reaches the options (and --quiesce, off by default), and is refused out of range, without --client-peers naming every node, or with what GroupServer does not support yet (--join); method: the server's command line and ServerOptions.Validate on fixed inputs.
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class GroupOptionsTests
{
    private static readonly ServerOptions Base = new()
    {
        Id = 1,
        PeerListen = "127.0.0.1:7001",
        ClientListen = "127.0.0.1:8001",
        Peers = "1=127.0.0.1:7001",
        DataDir = "/tmp/unused",
    };

    [Fact]
    public async Task Groups_default_to_none_and_the_flag_reaches_the_options()
    {
        Assert.Equal(0, Base.Groups);
        string[] arguments = ["--id", "1", "--peer-listen", "127.0.0.1:7001", "--client-listen", "127.0.0.1:8001", "--peers", "1=127.0.0.1:7001", "--data-dir", "/tmp/unused", "--groups", "4", "--quiesce"];
        ServerOptions? parsed = null;
        var root = ServerCommand.Create((options, _) =>
        {
            parsed = options;
            return Task.FromResult(0);
        });
        Assert.Equal(0, await root.Parse(arguments).InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = TextWriter.Null, Output = TextWriter.Null }));
        Assert.Equal(4, parsed!.Groups);
        Assert.True(parsed.Quiesce);
        Assert.False(Base.Quiesce);
    }

    [Fact]
    public void Groups_out_of_range_without_client_peers_or_with_join_are_refused()
    {
        Base.Validate();
        var sharded = Base with { ClientPeers = "1=127.0.0.1:8001" };
        (sharded with { Groups = 1 }).Validate();
        (sharded with { Groups = ServerOptions.DataGroupsMax, MetricsListen = "127.0.0.1:9100" }).Validate();
        Assert.Throws<FormatException>(() => (sharded with { Groups = -1 }).Validate());
        Assert.Throws<FormatException>(() => (sharded with { Groups = ServerOptions.DataGroupsMax + 1 }).Validate());
        Assert.Throws<FormatException>(() => (Base with { Groups = 2 }).Validate());
        Assert.Throws<FormatException>(() => (sharded with { Groups = 2, ClientPeers = "2=127.0.0.1:8002" }).Validate());
        Assert.Throws<FormatException>(() => (sharded with { Groups = 2, Join = "127.0.0.1:8002", Peers = "" }).Validate());
    }
}
