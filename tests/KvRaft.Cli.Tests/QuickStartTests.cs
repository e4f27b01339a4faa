// Goal: the quick-start example prints what README.md shows and leaves nothing behind. Method: run the built QuickStart.dll (a real three-node cluster of child processes) with TMPDIR pointed at a fresh folder (diagnostic sockets off), assert its lines, then that the folder is empty again.
namespace KvRaft.Cli.Tests;

public sealed class QuickStartTests
{
    [Fact]
    public async Task Quick_start_prints_each_step_and_deletes_its_data()
    {
        using var temporary = new TempFolder("kvraft-quickstart-test");
        var run = await Tool.RunAsync("QuickStart.dll", [], environment: new Dictionary<string, string> { ["TMPDIR"] = temporary.Path, ["DOTNET_EnableDiagnostics"] = "0" });
        Assert.True(run.ExitCode == 0, run.Error);
        var lines = run.Lines;
        Assert.Equal("Starting a 3-node cluster ...", lines[0]);
        Assert.Matches(@"^Cluster running on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+$", lines[1]);
        Assert.Equal(["put k1 = v1", "get k1 -> v1", "append k1 += ->v2", "get k1 -> v1->v2", "Stopping the cluster ...", "Done."], lines[2..]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary.Path));
    }
}
