// Goal: one loadgen run end to end: cluster (local or given), load with faults, results, chart, history and check.
using KvRaft.Client;
using KvRaft.Linearizability;
using Spectre.Console;

namespace KvRaft.Loadgen;

/// <summary>A run as the command line asked for it.</summary>
internal sealed record LoadgenJob
{
    public required LoadSettings Settings { get; init; }
    public int Nodes { get; init; } = 3;

    /// <summary>Data groups of the local cluster (--groups): a sharded cluster whose clients route by the configuration; 0 the one-group store.</summary>
    public int Groups { get; init; }
    public string? Endpoints { get; init; }
    public LoadTargetKind Target { get; init; } = LoadTargetKind.KvRaft;
    public int ClientsPerChannel { get; init; } = EtcdTarget.DefaultClientsPerChannel;
    public IReadOnlyList<int> EtcdProcessIds { get; init; } = [];
    public IReadOnlyList<FaultStep> Faults { get; init; } = [];
    public string? ResultsPath { get; init; }
    public string? MarkdownPath { get; init; }
    public string? ChartPath { get; init; }
    public string? HistoryPath { get; init; }
    public bool Check { get; init; }

    /// <summary>Scrape every node's /metrics during the run and report the per-stage latency profile (--profile).</summary>
    public bool Profile { get; init; }

    /// <summary>The local cluster runs with mutual TLS on every port (--tls).</summary>
    public bool Tls { get; init; }

    /// <summary>TLS files for --endpoints (--cacert, --cert, --key); CaFile null: plain TCP.</summary>
    public string? CaFile { get; init; }
    public string? CertificateFile { get; init; }
    public string? KeyFile { get; init; }

    /// <summary>Local cluster: the folder every node's log is copied into when the run ends (--keep-logs); null: not kept.</summary>
    public string? KeepLogsPath { get; init; }

    /// <summary>Runs; returns the exit code (0 fine, 1 not linearizable, 2 bad request).</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        if (Problem() is { } problem)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{problem}[/]");
            return 2;
        }
        if (Settings.Warmup > TimeSpan.Zero)
        {
            AnsiConsole.MarkupLineInterpolated($"warm-up: {Settings.Warmup.TotalSeconds:0.#} s of the same workload, not measured");
        }

        IReadOnlyList<ProfileScrape> scrapes = [];
        var run = Target == LoadTargetKind.Etcd ? await RunEtcdAsync(cancellation).ConfigureAwait(false)
            : Endpoints is null ? await RunLocalAsync(profiled => scrapes = profiled, cancellation).ConfigureAwait(false)
            : await RunRemoteAsync(cancellation).ConfigureAwait(false);
        return Report(run, scrapes);
    }

    /// <summary>Why this combination of options cannot run, or null when it can.</summary>
    public string? Problem()
    {
        try
        {
            if (Settings.Warmup > TimeSpan.Zero && (Check || HistoryPath is not null))
            {
                return "--warmup cannot be combined with --history or --check: a checked history starts from an empty store";
            }
            if (Target == LoadTargetKind.KvRaft)
            {
                if (EtcdProcessIds.Count > 0)
                {
                    return "--etcd-pids needs --target etcd";
                }

                if (Profile && Endpoints is not null)
                {
                    return "--profile needs the local cluster (leave out --endpoints)";
                }

                if (Groups < 0 || (Groups > 0 && (Endpoints is not null || FaultPlan.SpareNodesNeeded(Faults) > 0)))
                {
                    return "--groups (1 or more) starts a sharded local cluster: not with --endpoints (a client finds a sharded cluster by itself) nor with faults that add nodes";
                }

                if (Groups == 0 && FaultPlan.NeedsShards(Faults))
                {
                    return "move-shard and rebalance change shard configurations: they need a sharded cluster (--groups 1 or more)";
                }

                if (Endpoints is not null && Faults.Count > 0)
                {
                    return "--faults needs the local cluster (leave out --endpoints)";
                }

                if (Endpoints is not null && Tls)
                {
                    return "--tls is for the local cluster; with --endpoints pass --cacert (and --cert, --key)";
                }

                if (Endpoints is not null && KeepLogsPath is not null)
                {
                    return "--keep-logs is for the local cluster (leave out --endpoints)";
                }

                if (Endpoints is null && CaFile is not null)
                {
                    return "--cacert, --cert and --key need --endpoints (--tls makes the local cluster's own)";
                }

                if (CaFile is null && (CertificateFile is not null || KeyFile is not null))
                {
                    return "--cert and --key need --cacert";
                }

                if (Tls && FaultPlan.NeedsLinkRelays(Faults))
                {
                    return "--tls cannot be combined with partition faults (the link relays read peer frames)";
                }

                return null;
            }
            if (Endpoints is null)
            {
                return "--target etcd needs --endpoints (this tool does not start etcd)";
            }

            if (Profile)
            {
                return "--profile is for KvRaft's local cluster (it reads the nodes' /metrics)";
            }

            if (ClientsPerChannel < 1)
            {
                return "--clients-per-channel must be at least 1";
            }

            EtcdFaults.EnsureSupported(Faults);
            if (Faults.Count > 0 && EtcdProcessIds.Count != EndpointList().Length)
            {
                return "--faults on etcd needs --etcd-pids with one process id per endpoint, in the same order";
            }
            return null;
        }
        catch (NotSupportedException error)
        {
            return error.Message;
        }
    }

    private string[] EndpointList() => Endpoints!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private async Task<RunData> RunEtcdAsync(CancellationToken cancellation)
    {
        var endpoints = EndpointList();
        AnsiConsole.MarkupLineInterpolated($"etcd at {string.Join(',', endpoints)}: {EtcdTarget.ChannelCount(Settings.Clients, ClientsPerChannel)} gRPC channels");
        using var target = EtcdTarget.Connect(endpoints, Settings.Clients, ClientsPerChannel);
        var faults = Faults.Count > 0 ? new EtcdFaults(endpoints, EtcdProcessIds, Faults) : null;
        return await LoadRun.RunAsync(Settings, target, faults, Progress, cancellation).ConfigureAwait(false);
    }

    private async Task<RunData> RunLocalAsync(Action<IReadOnlyList<ProfileScrape>> profiled, CancellationToken cancellation)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-loadgen-" + Guid.NewGuid().ToString("N"));
        try
        {
            AnsiConsole.MarkupLineInterpolated($"starting a {Nodes}-node cluster{(Groups > 0 ? $" of {Groups} data groups" : "")}{(Tls ? " with mutual TLS" : "")} in {directory}");
            var options = new LocalCluster.LocalClusterOptions
            {
                Groups = Groups,
                LinkRelays = FaultPlan.NeedsLinkRelays(Faults),
                Tls = Tls,
                Metrics = Profile,
                SpareNodes = FaultPlan.SpareNodesNeeded(Faults),
            };
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(Nodes, directory, options).ConfigureAwait(false);
            await using var client = cluster.CreateClient(ClientOptions());
            if (!Profile)
            {
                return await LoadRun.RunAsync(Settings, client, new FaultInjector(cluster, Faults, Settings.Seed), Progress, cancellation).ConfigureAwait(false);
            }

            using var scraper = new StageScraper(cluster.MetricsEndpoints);
            var faults = new FaultInjector(cluster, Faults, Settings.Seed) { BeforeEachStep = cancel => scraper.ScrapeAsync(beforeFault: true, cancel) };
            var run = await LoadRun.RunAsync(Settings, new KvRaftTarget(client), new ProfilingFaults(new KvRaftFaults(faults), scraper), Progress, cancellation).ConfigureAwait(false);
            await scraper.ScrapeAsync(beforeFault: false, cancellation).ConfigureAwait(false); // the end of the last window
            profiled(scraper.Scrapes);
            return run;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                KeepLogs(directory);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private void KeepLogs(string directory)
    {
        if (KeepLogsPath is null)
        {
            return;
        }
        Directory.CreateDirectory(KeepLogsPath);
        foreach (var log in Directory.EnumerateFiles(directory, "node-*.log"))
        {
            File.Copy(log, Path.Combine(KeepLogsPath, Path.GetFileName(log)), overwrite: true);
        }
        AnsiConsole.MarkupLineInterpolated($"node logs kept in {KeepLogsPath}");
    }

    private async Task<RunData> RunRemoteAsync(CancellationToken cancellation)
    {
        await using var client = KvClient.Connect(EndpointList(), ClientOptions());
        return await LoadRun.RunAsync(Settings, client, null, Progress, cancellation).ConfigureAwait(false);
    }

    private KvClientOptions ClientOptions() => new()
    {
        OperationTimeout = Settings.OperationTimeout,
        SessionPoolSize = Math.Max(1024, Settings.Clients),
        Tls = CaFile is null ? null : KvClientTls.FromPemFiles(CaFile, CertificateFile, KeyFile),
    };

    private static void Progress(ProgressSample sample) => AnsiConsole.MarkupLineInterpolated(
        $"[grey]{sample.ElapsedSeconds,6:0.0} s[/]  {sample.Completed,8} ops/s  p99 {sample.P99Milliseconds,8:0.00} ms  errors {sample.Errors}");

    private int Report(RunData run, IReadOnlyList<ProfileScrape> scrapes)
    {
        var summary = RunSummary.Of(run);
        var markdown = ResultFiles.Markdown(summary);
        Console.WriteLine();
        if (run.WarmupOperations > 0)
        {
            Console.WriteLine($"warm-up operations (not measured): {run.WarmupOperations}");
        }

        Console.Write(markdown);
        if (ResultsPath is not null)
        {
            File.WriteAllText(ResultsPath, ResultFiles.Json(summary, Settings));
        }

        if (MarkdownPath is not null)
        {
            File.WriteAllText(MarkdownPath, markdown);
        }

        if (ChartPath is not null)
        {
            Chart.Save(summary, ChartPath);
            Console.WriteLine($"chart: {Path.GetFullPath(ChartPath)}");
        }
        if (Profile)
        {
            ReportProfile(run, summary, scrapes);
        }

        if (HistoryPath is not null)
        {
            HistoryFile.Write(HistoryPath, run.Records);
        }

        return Check ? CheckHistory(run) : 0;
    }

    private void ReportProfile(RunData run, RunSummary summary, IReadOnlyList<ProfileScrape> scrapes)
    {
        IReadOnlyList<ProfileScrape> measured = [.. scrapes.Where(scrape => scrape.AtNanoseconds >= run.StartNanoseconds)];
        Console.WriteLine();
        IReadOnlyList<ProfileWindow> windows = [.. StageProfile.Windows(measured, run.Faults, run.StartNanoseconds).Select(window => window.WithClients(run.Records, run.StartNanoseconds))];
        Console.Write(ProfileReport.Markdown(windows));
        if (ChartPath is null)
        {
            return;
        }

        IReadOnlyList<ProfileWindow> seconds = [.. Enumerable.Range(0, Math.Max(0, measured.Count - 1))
            .Select(i => StageProfile.Window(measured, i, i + 1, "", run.StartNanoseconds))];
        var path = StageChart.PathBeside(ChartPath);
        StageChart.Save(seconds, summary.Faults, path);
        Console.WriteLine($"stage chart: {Path.GetFullPath(path)}");
    }

    private int CheckHistory(RunData run)
    {
        var result = HistoryPath is not null
            ? HistoryChecker.CheckFile(HistoryPath)
            : HistoryChecker.Check(run.Records.Select(record => record.ToOperation()));
        Console.WriteLine(result.Describe());
        return result.Verdict == Verdict.NotLinearizable ? 1 : 0;
    }
}
