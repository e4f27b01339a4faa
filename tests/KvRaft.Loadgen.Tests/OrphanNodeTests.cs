// Goal: no kvraft-server process outlives the loadgen that started its local cluster, however loadgen ends: SIGTERM
// stops the run cleanly (cluster stopped, folder removed), SIGKILL leaves the nodes to stop on their own when their
// input (a pipe from loadgen) closes. Method: the real loadgen executable as a child process under load; its node
// processes found through /proc (children whose command line names kvraft-server.dll); the signal sent with kill(1);
// then each node's /proc entry watched until it is gone or a zombie, within a bound.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KvRaft.Loadgen.Tests;

public sealed partial class OrphanNodeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Loadgen_stopped_with_sigterm_stops_its_nodes_and_removes_the_cluster_folder()
    {
        var folderLeft = await EndLoadgenAsync("TERM");
        Assert.True(folderLeft is null, "loadgen left its cluster folder " + folderLeft);
    }

    [Fact]
    public async Task Nodes_stop_when_the_loadgen_that_started_them_is_killed() => await EndLoadgenAsync("KILL");

    /// <summary>
    /// Starts a loaded run, ends loadgen with <paramref name="signal"/> and waits until its nodes are gone; returns the
    /// cluster folder if loadgen left it (checked before the run's disposal removes it), else null.
    /// </summary>
    private static async Task<string?> EndLoadgenAsync(string signal)
    {
        using var run = await LoadgenRun.StartAsync();
        await run.SignalAsync(signal);
        await run.WaitForNodesGoneAsync();
        return Directory.Exists(run.ClusterFolder) ? run.ClusterFolder : null;
    }

    /// <summary>One loadgen process running a local cluster, and the scratch folder of its files.</summary>
    private sealed partial class LoadgenRun : IDisposable
    {
        private readonly Process _loadgen;
        private readonly string _scratch;

        private LoadgenRun(Process loadgen, string scratch, string clusterFolder, IReadOnlyList<int> nodes)
        {
            _loadgen = loadgen;
            _scratch = scratch;
            ClusterFolder = clusterFolder;
            Nodes = nodes;
        }

        public string ClusterFolder { get; }

        public IReadOnlyList<int> Nodes { get; }

        /// <summary>Starts loadgen (put load on its own three-node cluster) and returns once the load runs.</summary>
        public static async Task<LoadgenRun> StartAsync()
        {
            var scratch = Directory.CreateTempSubdirectory("kvraft-orphan-").FullName;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "loadgen.dll"), "--mix", "put=100", "--clients", "4", "--duration", "5m",
                "--chart", Path.Combine(scratch, "chart.png")])
            {
                start.ArgumentList.Add(argument);
            }
            var loadgen = Process.Start(start) ?? throw new InvalidOperationException("could not start loadgen");
            using var deadline = new CancellationTokenSource(Limit);
            var text = "";
            try
            {
                // Its first lines name the cluster folder; a throughput line means the cluster is up and loaded.
                while (!text.Contains(" ops/s", StringComparison.Ordinal))
                {
                    var line = await loadgen.StandardOutput.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("loadgen ended early: " + text);
                    text += line + "\n";
                }
            }
            catch
            {
                loadgen.Kill(entireProcessTree: true);
                loadgen.Dispose();
                Directory.Delete(scratch, recursive: true);
                throw;
            }
            var folder = ClusterFolderPattern().Match(text);
            Assert.True(folder.Success, "no cluster folder in loadgen's output: " + text);
            var nodes = NodesOf(loadgen.Id);
            Assert.True(nodes.Count == 3, $"{nodes.Count} kvraft-server children of loadgen {loadgen.Id}, not 3");
            return new LoadgenRun(loadgen, scratch, folder.Value, nodes);
        }

        public async Task SignalAsync(string signal)
        {
            using var kill = Process.Start("kill", ["-" + signal, _loadgen.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var deadline = new CancellationTokenSource(Limit);
            await kill.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, kill.ExitCode);
            await _loadgen.WaitForExitAsync(deadline.Token);
        }

        /// <summary>Waits, within the bound, until no node of the run is alive (gone, or a zombie nobody reaped yet).</summary>
        public async Task WaitForNodesGoneAsync()
        {
            using var deadline = new CancellationTokenSource(Limit);
            try
            {
                while (Nodes.Any(IsAlive))
                {
                    await Task.Delay(50, deadline.Token); // another process's exit: no event to wait on but its /proc entry
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"nodes still running {Limit.TotalSeconds} s after loadgen ended: {string.Join(", ", Nodes.Where(IsAlive))}");
            }
        }

        private static bool IsAlive(int processId)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{processId}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
            }
            catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                return false;
            }
        }

        private static List<int> NodesOf(int parent)
        {
            var nodes = new List<int>();
            foreach (var entry in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(entry), out var processId))
                {
                    continue;
                }
                try
                {
                    var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parent
                        && File.ReadAllText(Path.Combine(entry, "cmdline")).Contains("kvraft-server.dll", StringComparison.Ordinal))
                    {
                        nodes.Add(processId);
                    }
                }
                catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException or IOException)
                {
                    // Ended while listed.
                }
            }
            return nodes;
        }

        [GeneratedRegex("/[^\\s]*kvraft-loadgen-[0-9a-f]{32}")]
        private static partial Regex ClusterFolderPattern();

        public void Dispose()
        {
            if (!_loadgen.HasExited)
            {
                _loadgen.Kill(entireProcessTree: true);
                _loadgen.WaitForExit();
            }
            _loadgen.Dispose();
            foreach (var node in Nodes.Where(IsAlive))
            {
                using var orphan = Process.GetProcessById(node);
                orphan.Kill();
            }
            foreach (var folder in (string[])[_scratch, ClusterFolder])
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }
}
