// Goal: killing a node of a local cluster leaves nothing of it in the temp folder; method: SIGKILL a node process and look for the files the .NET runtime names after its process id.
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class KillCleanupTests
{
    [Fact]
    public async Task A_killed_node_leaves_no_diagnostic_pipe_or_socket_in_the_temp_folder()
    {
        using var folder = new TempFolder("kvraft-kill-cleanup");
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.Processes));
        var processId = cluster.ProcessId(2) ?? throw new InvalidOperationException("node 2 is not a process");
        string[] Leftovers() =>
        [
            .. Directory.EnumerateFiles(Path.GetTempPath(), $"clr-debug-pipe-{processId}-*"),
            .. Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{processId}-*"),
        ];
        Assert.NotEmpty(Leftovers()); // the running node has them: the check below looks in the right place
        await cluster.KillAsync(2);
        Assert.Empty(Leftovers());
    }
}
