using System.CommandLine;

namespace KvRaft.Server.Hosting;

/// <summary>The server's command line (also used by `kvraft serve`).</summary>
public static class ServerCommand
{
    /// <summary>Builds the command; <paramref name="run"/> runs a node with the parsed options.</summary>
    public static RootCommand Create(Func<ServerOptions, CancellationToken, Task<int>> run)
    {
        var config = new Option<FileInfo?>("--config") { Description = "A JSON file with the options below (camelCase names)" };
        var id = new Option<int>("--id") { Description = "This node's id" };
        var peerListen = new Option<string?>("--peer-listen") { Description = "host:port for peer connections" };
        var clientListen = new Option<string?>("--client-listen") { Description = "host:port for clients" };
        var peers = new Option<string?>("--peers") { Description = "Every node's peer address: 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003" };
        var clientPeers = new Option<string?>("--client-peers") { Description = "Every node's client address (for NotLeader hints)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where this node keeps its log and state" };
        var clusterId = new Option<ulong>("--cluster-id") { Description = "Cluster id (a random 64-bit number, the same for every node) checked at start against the data directory and on every peer connection; a new data directory adopts it; default: the one the data directory records, else derived from --peers" };
        var join = new Option<string?>("--join") { Description = "Client endpoints (host:port,...) of a running cluster to join as a learner, instead of --peers; the cluster id comes from the cluster unless given" };
        var autoPromote = new Option<long>("--auto-promote") { Description = "As leader, promote a learner whose match index is within this many entries of the leader's last index (0, the default: never)" };
        var metricsListen = new Option<string?>("--metrics-listen") { Description = "host:port of an HTTP port serving /metrics (Prometheus text), /health and /ready (off by default)" };
        var groups = new Option<int>("--groups") { Description = "Data groups of a sharded process: the controller group 0 and data groups 1..G, every one over one shared log (default: none, the one-group server; every node the same G; needs --client-peers)" };
        var quiesce = new Option<bool>("--quiesce") { Description = "With --groups: a group idle for 10 election timeouts stops heartbeats until a request or message wakes it (off by default)" };
        var stopWhenInputCloses = new Option<bool>("--stop-when-input-closes") { Description = "Stop (as on SIGTERM) when standard input reaches its end: a supervisor that holds the other end of a pipe, such as the local cluster, never leaves the node running after it is gone, however it ended (off by default)" };
        var leaseReads = new Option<bool>("--lease-reads") { Description = "Serve reads from a leader lease (off by default; assumes clock drift under 30 ms per election timeout)" };
        var defaults = new ServerOptions { Id = 1, PeerListen = "", ClientListen = "", Peers = "", DataDir = "" };
        var maxClientConnections = Limit("--max-client-connections", "Client connections open at once; one beyond is closed at once", defaults.MaxClientConnections);
        var maxClientPending = Limit("--max-client-pending-response-bytes", "Per client connection: pending response bytes above which it is closed", defaults.MaxClientPendingResponseBytes);
        var clientPause = Limit("--client-pause-reading-bytes", "Per client connection: pending response bytes above which it stops reading until they drain", defaults.ClientPauseReadingBytes);
        var clientPartial = Limit("--client-partial-frame-timeout-ms", "A client connection holding an incomplete request this long is closed", defaults.ClientPartialFrameTimeoutMilliseconds);
        var clientIdle = Limit("--client-idle-timeout-ms", "A client connection that sends nothing this long, with no request in flight, is closed", defaults.ClientIdleTimeoutMilliseconds);
        var maxPeerConnections = Limit("--max-peer-connections", "Accepted peer connections open at once (before or after their hello)", defaults.MaxPeerConnections);
        var maxPeerBeforeHello = Limit("--max-peer-connections-before-hello", "Accepted peer connections that have not yet said hello", defaults.MaxPeerConnectionsBeforeHello);
        var peerHello = Limit("--peer-hello-timeout-ms", "An accepted peer connection that says no hello within this is closed", defaults.PeerHelloTimeoutMilliseconds);
        var peerIdle = Limit("--peer-idle-timeout-ms", "A peer connection that receives nothing within this is closed (keepalives every third of it)", defaults.PeerIdleTimeoutMilliseconds);
        var tls = new ServerTlsFlags();
        var root = new RootCommand("kvraft-server: one node of a KvRaft cluster")
        {
            config, id, peerListen, clientListen, peers, clientPeers, join, autoPromote, dataDir, clusterId, leaseReads, metricsListen, groups, quiesce, stopWhenInputCloses,
            maxClientConnections, maxClientPending, clientPause, clientPartial, clientIdle, maxPeerConnections, maxPeerBeforeHello, peerHello, peerIdle,
        };
        foreach (var option in tls.All)
        {
            root.Options.Add(option);
        }

        root.SetAction((parse, cancellation) =>
        {
            ServerOptions options;
            try
            {
                options = parse.GetValue(config) is { } file
                    ? ServerOptions.FromJsonFile(file.FullName)
                    : new ServerOptions
                    {
                        Id = parse.GetValue(id),
                        PeerListen = parse.GetValue(peerListen) ?? throw new FormatException("--peer-listen is required"),
                        ClientListen = parse.GetValue(clientListen) ?? throw new FormatException("--client-listen is required"),
                        Peers = parse.GetValue(peers) ?? (parse.GetValue(join) is null ? throw new FormatException("--peers (or --join) is required") : ""),
                        Join = parse.GetValue(join),
                        AutoPromoteDistance = parse.GetValue(autoPromote),
                        ClientPeers = parse.GetValue(clientPeers),
                        DataDir = parse.GetValue(dataDir) ?? throw new FormatException("--data-dir is required"),
                        ClusterId = parse.GetValue(clusterId),
                        LeaseReads = parse.GetValue(leaseReads),
                        Groups = parse.GetValue(groups),
                        Quiesce = parse.GetValue(quiesce),
                        MetricsListen = parse.GetValue(metricsListen),
                        MaxClientConnections = parse.GetValue(maxClientConnections),
                        MaxClientPendingResponseBytes = parse.GetValue(maxClientPending),
                        ClientPauseReadingBytes = parse.GetValue(clientPause),
                        ClientPartialFrameTimeoutMilliseconds = parse.GetValue(clientPartial),
                        ClientIdleTimeoutMilliseconds = parse.GetValue(clientIdle),
                        MaxPeerConnections = parse.GetValue(maxPeerConnections),
                        MaxPeerConnectionsBeforeHello = parse.GetValue(maxPeerBeforeHello),
                        PeerHelloTimeoutMilliseconds = parse.GetValue(peerHello),
                        PeerIdleTimeoutMilliseconds = parse.GetValue(peerIdle),
                    };
                if (parse.GetValue(config) is null)
                {
                    options = tls.Apply(options, parse);
                }
                if (parse.GetValue(stopWhenInputCloses))
                {
                    options = options with { StopWhenInputCloses = true };
                }
            }
            catch (Exception error) when (error is FormatException or IOException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine("kvraft-server: " + error.Message);
                return Task.FromResult(Program.ExitUsage);
            }
            return run(options, cancellation);
        });
        return root;
    }

    private static Option<int> Limit(string name, string description, int defaultValue) =>
        new(name) { Description = description + " (default " + defaultValue.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")", DefaultValueFactory = _ => defaultValue };
}
