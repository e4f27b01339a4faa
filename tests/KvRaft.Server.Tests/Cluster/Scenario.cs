// Goal: run one scenario against a real cluster with everything cleaned up and the seed reported on failure; method: a temp folder, a cluster, clients and a history per run, all disposed in finally blocks; on failure the seed, the history summary and the nodes' recent log go to the test output.
using System.Diagnostics;
using KvRaft.Client;
using KvRaft.Linearizability;
using KvRaft.Server.Hosting;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Cluster;

internal sealed class Scenario
{
    private readonly List<KvClient> _clients = [];
    private readonly List<Workload> _workloads = [];

    private Scenario(int seed, string folder, ScenarioCluster cluster, TestLog log)
    {
        Seed = seed;
        Folder = folder;
        Cluster = cluster;
        Log = log;
        Random = new Random(seed);
    }

    /// <summary>Client settings of every scenario: short backoffs, a short connect timeout.</summary>
    public static KvClientOptions ClientOptions { get; } = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        OperationTimeout = ScenarioLimits.HealthyOperationTimeout,
        RetryBackoffMin = TimeSpan.FromMilliseconds(2),
        RetryBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    public int Seed { get; }

    public string Folder { get; }

    public ScenarioCluster Cluster { get; }

    public TestLog Log { get; }

    public History History { get; } = new();

    /// <summary>Seeded choices of the scenario (which node, which partition).</summary>
    public Random Random { get; }

    /// <summary>Runs <paramref name="body"/> on a fresh cluster of <paramref name="nodes"/> nodes; disposes everything whatever happens.</summary>
    public static async Task RunAsync(ITestOutputHelper output, int seed, int nodes, Func<Scenario, Task> body, Func<ServerOptions, ServerOptions>? tune = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"kvraft-scenario-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var log = new TestLog();
        using var loggers = log.CreateFactory();
        Scenario? scenario = null;
        var start = Stopwatch.GetTimestamp();
        try
        {
            var cluster = await ScenarioCluster.StartAsync(nodes, Path.Combine(folder, "cluster"), seed, loggers, tune ?? (o => o)).ConfigureAwait(false);
            scenario = new Scenario(seed, folder, cluster, log);
            var started = Stopwatch.GetElapsedTime(start);
            await body(scenario).WaitAsync(ScenarioLimits.ScenarioTimeout).ConfigureAwait(false);
            output.WriteLine($"seed {seed}: {scenario.History.Summary()}; relays dropped {cluster.Network.Statistics.FramesDropped} frames, delayed {cluster.Network.Statistics.Delays}; " +
                $"cluster started in {started.TotalSeconds:0.0} s, scenario ran {(Stopwatch.GetElapsedTime(start) - started).TotalSeconds:0.0} s (check {scenario.CheckElapsed.TotalSeconds:0.0} s)");
            if (Environment.GetEnvironmentVariable("KVRAFT_SCENARIO_LOG") == "1")
            {
                output.WriteLine(log.Dump());
            }
        }
        catch (Exception error)
        {
            output.WriteLine($"FAILED with seed {seed}: {error}");
            if (scenario is not null)
            {
                output.WriteLine($"history: {scenario.History.Summary()}");
            }

            output.WriteLine(log.Dump());
            var message = error.Message.StartsWith($"seed {seed}:", StringComparison.Ordinal) ? error.Message : $"seed {seed}: {error.Message}";
            throw new Xunit.Sdk.XunitException(message, error);
        }
        finally
        {
            if (scenario is not null)
            {
                await scenario.DisposeAsync().ConfigureAwait(false);
            }

            DeleteFolder(folder);
        }
    }

    /// <summary>A client of the nodes <paramref name="nodes"/> (default: all), disposed with the scenario.</summary>
    public KvClient NewClient(params int[] nodes)
    {
        var endpoints = nodes.Length == 0 ? Cluster.Endpoints : nodes.Select(Cluster.Endpoint);
        var client = KvClient.Connect(endpoints, ClientOptions);
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>Starts logical clients working in the background (see <see cref="Workload"/>).</summary>
    public Workload StartWorkload(WorkloadOptions options)
    {
        var workload = new Workload(this, options);
        _workloads.Add(workload);
        workload.Start();
        return workload;
    }

    /// <summary>Waits until <paramref name="count"/> more operations have completed than now.</summary>
    public Task WaitForProgressAsync(int count, string what)
    {
        var target = History.Completed + count;
        return Eventually.Until(() => History.Completed >= target, $"{count} more operations complete ({what})");
    }

    /// <summary>Reads every key through <paramref name="client"/> (retried until it completes) into the history; returns the values.</summary>
    public async Task<Dictionary<string, string>> ReadAllAsync(KvClient client, int clientId, IEnumerable<string> keys)
    {
        var values = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            string? value = null;
            await Eventually.Until(async () => (value = (await History.GetAsync(client, clientId, key, ScenarioLimits.FaultyOperationTimeout).ConfigureAwait(false)).Value) is not null,
                $"client {clientId} reads key {key}").ConfigureAwait(false);
            values[key] = value!;
        }
        return values;
    }

    /// <summary>Writes the history to this run's folder and checks it; throws on anything but linearizable.</summary>
    public CheckResult CheckHistory()
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return History.Check(Path.Combine(Folder, "history.jsonl"), Seed);
        }
        finally
        {
            CheckElapsed = Stopwatch.GetElapsedTime(start);
        }
    }

    /// <summary>How long the history check took.</summary>
    public TimeSpan CheckElapsed { get; private set; }

    private async Task DisposeAsync()
    {
        foreach (var workload in _workloads)
        {
            try
            {
                await workload.StopAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                Log.Note($"a workload failed while stopping: {error.Message}"); // the scenario has failed already, or reports this itself
            }
        }
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        await Cluster.DisposeAsync().ConfigureAwait(false);
    }

    private static void DeleteFolder(string folder)
    {
        for (var attempt = 1; Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                // a file just closed by a stopped node may linger a moment
            }
        }
    }
}
