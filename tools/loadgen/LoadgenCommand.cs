// Goal: the command-line options of loadgen, turned into a LoadgenJob.
using System.CommandLine;
using System.Globalization;

namespace KvRaft.Loadgen;

/// <summary>Builds the root command.</summary>
internal static class LoadgenCommand
{
    /// <summary>The command; <paramref name="run"/> replaces running the job (for tests of the parsing).</summary>
    public static RootCommand Create(Func<LoadgenJob, CancellationToken, Task<int>>? run = null)
    {
        var nodes = new Option<int>("--nodes") { Description = "Nodes of the local cluster started for the run", DefaultValueFactory = _ => 3 };
        var groups = new Option<int>("--groups") { Description = "Data groups of the local cluster: a sharded cluster (controller group 0, data groups 1..G on every node); default none, the one-group store" };
        var endpoints = new Option<string?>("--endpoints") { Description = "Target these client endpoints (host:port,…) instead of a local cluster" };
        var target = new Option<LoadTargetKind>("--target") { Description = "kvraft, or etcd (needs --endpoints of etcd members)", DefaultValueFactory = _ => LoadTargetKind.KvRaft };
        var clientsPerChannel = new Option<int>("--clients-per-channel") { Description = "etcd: logical clients per gRPC channel", DefaultValueFactory = _ => EtcdTarget.DefaultClientsPerChannel };
        var etcdPids = new Option<string?>("--etcd-pids") { Description = "etcd: the members' process ids, in --endpoints order (lets --faults kill-leader/kill-follower kill them)" };
        var clients = new Option<int>("--clients") { Description = "Logical clients, each with one operation outstanding", DefaultValueFactory = _ => 64 };
        var duration = new Option<string>("--duration") { Description = "How long to run (e.g. 10s, 500ms, 2m)", DefaultValueFactory = _ => "10s" };
        var warmup = new Option<string>("--warmup") { Description = "Run the same workload this long first, unmeasured (e.g. 3s): JIT and caches warm up", DefaultValueFactory = _ => "0s" };
        var operations = new Option<long?>("--operations") { Description = "Run this many operations instead of a duration" };
        var mix = new Option<string>("--mix") { Description = "Operation weights: get, put, append, delete, cas", DefaultValueFactory = _ => "get=50,put=30,append=10,cas=10" };
        var keys = new Option<int>("--keys") { Description = "Number of keys (16 bytes each)", DefaultValueFactory = _ => 1000 };
        var distribution = new Option<KeyDistribution>("--distribution") { Description = "uniform or zipfian", DefaultValueFactory = _ => KeyDistribution.Uniform };
        var valueSize = new Option<int>("--value-size") { Description = "Bytes per written value", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Open-loop target ops/s over all clients (0 = closed loop)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the workload", DefaultValueFactory = _ => 1 };
        var faults = new Option<string?>("--faults") { Description = "Faults: kill-leader@5s,restart@10s,pause-follower@15s,resume@18s,partition-leader@20s,heal@23s (also kill-follower, stop-leader, pause-leader, partition-follower, transfer-leader)" };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file" };
        var markdown = new Option<string?>("--markdown") { Description = "Write the results table as Markdown to this file" };
        var chart = new Option<string?>("--chart") { Description = "Write a PNG chart (throughput and p99 over time, faults marked); default results/chart-<UTC time>.png", DefaultValueFactory = _ => DefaultChartPath() };
        var history = new Option<string?>("--history") { Description = "Write the history (JSON Lines, shared format) to this file" };
        var check = new Option<bool>("--check") { Description = "Check the history for linearizability; exit 1 on a violation" };
        var profile = new Option<bool>("--profile") { Description = "Scrape every node's /metrics each second and before each fault: print the per-stage latency table per fault window and draw the stacked stage chart beside the chart" };
        var timeout = new Option<string>("--timeout") { Description = "Deadline of one operation, retries included", DefaultValueFactory = _ => "10s" };
        var tls = new Option<bool>("--tls") { Description = "Run the local cluster with mutual TLS on every port (certificates made in its folder)" };
        var caFile = new Option<string?>("--cacert") { Description = "With --endpoints: TLS, verifying the servers with this CA (PEM)" };
        var certificateFile = new Option<string?>("--cert") { Description = "With --endpoints and --cacert: the client certificate (PEM)" };
        var keyFile = new Option<string?>("--key") { Description = "The private key of --cert (PEM)" };
        var keepLogs = new Option<string?>("--keep-logs") { Description = "Local cluster: copy every node's log (node-N.log) into this folder when the run ends" };
        var root = new RootCommand("KvRaft load generator")
        {
            nodes, groups, endpoints, target, clientsPerChannel, etcdPids, clients, duration, warmup, operations, mix, keys, distribution, valueSize, rate, seed, faults,
            output, markdown, chart, history, check, profile, timeout, tls, caFile, certificateFile, keyFile, keepLogs,
        };
        root.SetAction(async (result, cancellation) =>
        {
            var job = new LoadgenJob
            {
                Nodes = result.GetValue(nodes),
                Groups = result.GetValue(groups),
                Endpoints = result.GetValue(endpoints),
                Target = result.GetValue(target),
                ClientsPerChannel = result.GetValue(clientsPerChannel),
                EtcdProcessIds = ParseProcessIds(result.GetValue(etcdPids)),
                Faults = FaultPlan.Parse(result.GetValue(faults)),
                ResultsPath = result.GetValue(output),
                MarkdownPath = result.GetValue(markdown),
                ChartPath = result.GetValue(chart),
                HistoryPath = result.GetValue(history),
                Check = result.GetValue(check),
                Profile = result.GetValue(profile),
                Tls = result.GetValue(tls),
                CaFile = result.GetValue(caFile),
                CertificateFile = result.GetValue(certificateFile),
                KeyFile = result.GetValue(keyFile),
                KeepLogsPath = result.GetValue(keepLogs),
                Settings = new LoadSettings
                {
                    Clients = result.GetValue(clients),
                    Duration = DurationText.Parse(result.GetValue(duration)!),
                    Warmup = DurationText.Parse(result.GetValue(warmup)!),
                    Operations = result.GetValue(operations),
                    Mix = OperationMix.Parse(result.GetValue(mix)!),
                    Keys = result.GetValue(keys),
                    Distribution = result.GetValue(distribution),
                    ValueSize = result.GetValue(valueSize),
                    RatePerSecond = result.GetValue(rate),
                    Seed = result.GetValue(seed),
                    OperationTimeout = DurationText.Parse(result.GetValue(timeout)!),
                    KeepArguments = result.GetValue(history) is not null || result.GetValue(check),
                },
            };
            return run is null ? await job.RunAsync(cancellation).ConfigureAwait(false) : await run(job, cancellation).ConfigureAwait(false);
        });
        return root;
    }

    /// <summary>Parses "123,456,789" (empty or null: none).</summary>
    internal static IReadOnlyList<int> ParseProcessIds(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                ? id : throw new FormatException($"\"{part}\" is not a process id"))];

    internal static string Format(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Run outputs go under results/ (ignored by git), one chart per run: the README's job leaves nothing untracked.</summary>
    internal static string DefaultChartPath() =>
        Path.Combine("results", $"chart-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.png");
}
