// Goal: the kvraft shard and group commands do what docs/cli.md ("Sharding") says: list the controller's configuration
// (shard to group, groups with shard counts and members), move a shard, a group leaves and joins again, and a refusal
// exits with 2 and the controller's reason. Method: `dotnet kvraft.dll ...` as a child process against a real
// in-process sharded LocalCluster (three nodes, the controller and two data groups), steps in one test since each
// changes the configuration the next one reads.
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class ShardCommandTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new("kvraft-cli-shards");
    private LocalCluster.LocalCluster? _cluster;

    public async Task InitializeAsync() =>
        _cluster = await LocalCluster.LocalCluster.StartAsync(3, _folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess) with { Groups = 2 });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        _folder.Dispose();
    }

    [Fact]
    public async Task Shard_and_group_commands_list_move_leave_and_join_through_the_controller()
    {
        var list = await Kvraft("shard", "list");
        Assert.Equal(0, list.ExitCode);
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("configuration 1: 64 shards, 2 groups", lines[0]);
        Assert.Equal(["SHARD", "GROUP"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["0", "1"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2 + 64, lines.Length);

        Assert.Equal(new ToolRun(0, "shard 0 belongs to group 2 in configuration 2\n", ""), await Kvraft("shard", "move", "0", "2"));
        Assert.Equal(["0", "2"], (await Kvraft("shard", "list")).Output.Split('\n')[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        var groups = (await Kvraft("group", "list")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("configuration 2: 2 groups", groups[0]);
        Assert.Equal(["1", "31"], groups[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
        Assert.Equal(["2", "33"], groups[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
        Assert.Equal(3, groups[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].Split(',').Length); // every node a member

        Assert.Equal(new ToolRun(0, "group 2 left in configuration 3\n", ""), await Kvraft("group", "leave", "2"));
        var last = await Kvraft("group", "leave", "1");
        Assert.Equal((2, ""), (last.ExitCode, last.Output));
        Assert.Contains("last group", last.Error, StringComparison.Ordinal);
        var unjoined = await Kvraft("shard", "move", "1", "2");
        Assert.Equal(2, unjoined.ExitCode);
        Assert.Contains("has not joined", unjoined.Error, StringComparison.Ordinal);
        Assert.Equal(new ToolRun(0, "group 2 joined in configuration 4\n", ""), await Kvraft("group", "join", "2"));
        var unhosted = await Kvraft("group", "join", "7");
        Assert.Equal(2, unhosted.ExitCode);
        Assert.Contains("not hosted", unhosted.Error, StringComparison.Ordinal);
        Assert.StartsWith("configuration 2: ", (await Kvraft("shard", "list", "--configuration", "2")).Output, StringComparison.Ordinal);
    }

    private Task<ToolRun> Kvraft(params string[] arguments) => Tool.Kvraft(["--endpoints", string.Join(',', _cluster!.ClientEndpoints), .. arguments]);
}
