// Goal: after SIGKILL at any moment the log reopens as exactly the acknowledged log, or that plus the one batch announced
// after it, intact; method: 8 lanes of helper processes, each killed at seeded random points (224 kills in all), at
// least one of them while a batch was in flight. SIGKILL keeps the page cache: a missing fsync is the simulated-disk
// tests' to see (SimulatedDisk/).
using System.Diagnostics;
using Xunit.Abstractions;

namespace KvRaft.Storage.Tests;

public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Lanes = 8;
    private const int KillsPerLane = 28;
    private readonly TempDir _dir = new();
    private volatile bool _failed;

    public void Dispose() => _dir.Dispose();

    private sealed record LaneResult(int Kills, int Acks, int InRecovery, int InFlight, int UnacknowledgedDurable, int TruncatedAcknowledged);

    [Fact]
    public async Task Every_acknowledged_batch_survives_sigkill_and_nothing_unannounced_appears()
    {
        var seed = Environment.GetEnvironmentVariable("KVRAFT_CRASH_SEED") is { } text ? int.Parse(text) : Environment.TickCount & 0xFFFF;
        output.WriteLine($"crash test seed {seed} (set KVRAFT_CRASH_SEED to replay the kill schedule)");
        var watch = Stopwatch.StartNew();
        var lanes = Enumerable.Range(0, Lanes)
            .Select(lane => Task.Factory.StartNew(() => RunLane(seed, lane), TaskCreationOptions.LongRunning))
            .ToArray();
        var results = await Task.WhenAll(lanes);
        output.WriteLine($"{results.Sum(r => r.Kills)} kills ({results.Sum(r => r.InRecovery)} during recovery) in {watch.Elapsed.TotalSeconds:F1} s; "
            + $"{results.Sum(r => r.Acks)} acknowledged batches; {results.Sum(r => r.InFlight)} kills with a batch in flight, "
            + $"{results.Sum(r => r.UnacknowledgedDurable)} found the announced batch durable, "
            + $"{results.Sum(r => r.TruncatedAcknowledged)} of them truncating acknowledged entries");
        Assert.Equal(Lanes * KillsPerLane, results.Sum(r => r.Kills));
        Assert.True(results.Sum(r => r.InFlight) > 0, $"no kill fell while a batch was in flight (seed {seed})");
    }

    private LaneResult RunLane(int seed, int lane)
    {
        var random = new Random(HashCode.Combine(seed, lane));
        var logDir = _dir.Sub($"lane{lane}");
        var oracle = new CrashOracle();
        int kills = 0, acks = 0, inRecovery = 0;
        try
        {
            for (; kills < KillsPerLane && !_failed; kills++)
            {
                var acksBeforeKill = random.Next(-1, 4);
                inRecovery += acksBeforeKill < 0 ? 1 : 0;
                acks += RunUntilKill(logDir, random.Next(), acksBeforeKill, oracle);
                var logger = new RecordingLogger();
                using var store = FasterRaftLogStore.Open(logDir, CrashData.Limits, logger);
                oracle.Check(store, () => $"lane {lane} kill {kills}; log: {string.Join(" | ", logger.Lines.Select(l => l.Message))}");
            }
            using (var store = FasterRaftLogStore.Open(logDir, CrashData.Limits))
            {
                oracle.CheckAllContent(store);
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
        return new LaneResult(kills, acks, inRecovery, oracle.KillsWithBatchInFlight, oracle.UnacknowledgedDurable, oracle.TruncatedAcknowledged);
    }

    /// <summary>Runs the helper, kills it after <paramref name="acksBeforeKill"/> ACKs (-1: during recovery); returns the ACKs it printed.</summary>
    private static int RunUntilKill(string logDir, int helperSeed, int acksBeforeKill, CrashOracle oracle)
    {
        using var process = Start(logDir, helperSeed);
        var acks = 0;
        try
        {
            Assert.Equal("START", ReadLine(process));
            if (acksBeforeKill >= 0)
            {
                oracle.Follow(ReadLine(process));
            }
            while (acks < acksBeforeKill)
            {
                var line = ReadLine(process);
                oracle.Follow(line);
                acks += line == "ACK" ? 1 : 0;
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        // Whatever the helper printed before it died counts: an ACK in the pipe was an acknowledgement.
        foreach (var line in process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            oracle.Follow(line);
            acks += line == "ACK" ? 1 : 0;
        }
        return acks;
    }

    private static string ReadLine(Process process) =>
        process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"crash helper died: {ReadError(process)}");

    private static Process Start(string logDir, int seed)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "KvRaft.Storage.CrashHelper");
        var dll = Path.ChangeExtension(apphost, ".dll");
        var info = new ProcessStartInfo(File.Exists(apphost) ? apphost : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!File.Exists(apphost))
        {
            info.ArgumentList.Add(dll);
        }
        info.ArgumentList.Add(logDir);
        info.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The test host's variables (vstest, coverage hooks) must not leak into the victim process.
        foreach (var name in info.Environment.Keys.Where(k => !(k is "PATH" or "HOME" or "DOTNET_ROOT" or "TMPDIR")).ToList())
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOTNET_TieredPGO"] = "0"; // a short-lived process: instrumenting the JIT only costs start-up time
        info.Environment["DOTNET_EnableDiagnostics"] = "0"; // no debugger pipes or diagnostic socket: SIGKILL would leave them in /tmp
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the crash helper");
    }

    private static string ReadError(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return $"exit {process.ExitCode}: {process.StandardError.ReadToEnd()}";
    }
}
