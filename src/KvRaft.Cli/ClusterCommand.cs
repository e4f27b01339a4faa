using System.CommandLine;
using System.Runtime.InteropServices;
using KvRaft.LocalCluster;
using Cluster = KvRaft.LocalCluster.LocalCluster;

namespace KvRaft.Cli;

/// <summary>cluster start: a local cluster in the foreground until Ctrl-C or SIGTERM.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes: 1, 3, 5 or 7", DefaultValueFactory = _ => 3 };
        var dataDirectory = new Option<string>("--data-dir") { Description = "Where the nodes keep their data (reused when started again)", DefaultValueFactory = _ => "./data" };
        var inProcess = new Option<bool>("--in-process") { Description = "Run the nodes inside this process instead of as kvraft-server child processes" };
        var tls = new Option<bool>("--tls") { Description = "Mutual TLS on every port, with certificates made in DATA-DIR/certs (kept and reused)" };
        var metrics = new Option<bool>("--metrics") { Description = "Every node serves /metrics, /health and /ready on a loopback port of its own (printed)" };
        var start = new Command("start", "Starts a local cluster on 127.0.0.1 and runs it until Ctrl-C or SIGTERM") { nodes, dataDirectory, inProcess, tls, metrics };
        start.SetAction((parse, cancellation) => RunAsync(parse.GetValue(nodes), parse.GetValue(dataDirectory)!,
            new LocalClusterOptions { Mode = parse.GetValue(inProcess) ? LocalClusterMode.InProcess : LocalClusterMode.Processes, Tls = parse.GetValue(tls), Metrics = parse.GetValue(metrics) }, cancellation));
        return new Command("cluster", "A local cluster for trying KvRaft") { start };
    }

    private static async Task<int> RunAsync(int nodeCount, string dataDirectory, LocalClusterOptions options, CancellationToken cancellation)
    {
        if (nodeCount is not (1 or 3 or 5 or 7))
        {
            await Console.Error.WriteLineAsync("kvraft: --nodes must be 1, 3, 5 or 7").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        Console.WriteLine($"Starting {nodeCount} node(s) in {Path.GetFullPath(dataDirectory)} ...");
        Cluster cluster;
        try
        {
            cluster = await Cluster.StartAsync(nodeCount, dataDirectory, options).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or TimeoutException or OperationCanceledException or InvalidOperationException
            or FormatException or System.Security.Cryptography.CryptographicException)
        {
            await Console.Error.WriteLineAsync("kvraft: the cluster did not start: " + error.Message).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        await using (cluster.ConfigureAwait(false))
        {
            PrintEndpoints(cluster);
            await WaitForStopAsync(stop.Token).ConfigureAwait(false);
            Console.WriteLine("Stopping the nodes ...");
        }
        Console.WriteLine("Stopped.");
        return ExitCodes.Ok;
    }

    private static void PrintEndpoints(Cluster cluster)
    {
        for (var id = 1; id <= cluster.NodeCount; id++)
        {
            var metrics = cluster.MetricsEndpoints.Count > 0 ? $", metrics http://{cluster.MetricsEndpoints[id - 1]}/metrics" : "";
            Console.WriteLine($"node {id}: {cluster.ClientEndpoints[id - 1]}{metrics}");
        }
        Console.WriteLine($"export {ConnectionOptions.EnvironmentVariable}={string.Join(',', cluster.ClientEndpoints)}");
        if (cluster.Certificates is { } certificates)
        {
            Console.WriteLine($"export {ConnectionOptions.CaEnvironmentVariable}={certificates.CaFile}");
            Console.WriteLine($"export {ConnectionOptions.CertificateEnvironmentVariable}={certificates.ClientCertificateFile}");
            Console.WriteLine($"export {ConnectionOptions.KeyEnvironmentVariable}={certificates.ClientKeyFile}");
        }
        Console.WriteLine("Running; Ctrl-C stops the cluster.");
        Console.Out.Flush();
    }

    private static async Task WaitForStopAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: stop the nodes.
        }
    }
}
