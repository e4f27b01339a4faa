using System.Collections.Concurrent;
using System.Diagnostics;
using KvRaft.Server.Metrics;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>A started server: one group (<see cref="KvServer"/>) or several (<see cref="GroupServer"/>).</summary>
public interface IRunningServer : IAsyncDisposable
{
    /// <summary>Completes when the server stops; faulted when it stopped on an error (a failed disk, say).</summary>
    Task Stopped { get; }
}

/// <summary>
/// One running node: durable storage on FASTER, the peer and client transports, the node and its
/// event loop. Used by the server executable and by in-process clusters.
/// </summary>
public sealed class KvServer : IRunningServer
{
    private readonly DataDirectory _directory; // locked and identified for the server's life
    private readonly FasterRaftLogStore _log;
    private readonly FasterKvStateMachine _machine;
    private readonly PeerTransport _peers;
    private readonly ClientListener _clients;
    private readonly IoLoop _io; // the node's one thread: its sockets and its turns
    private readonly NodeHost _host;
    private readonly KvNode _node;
    private readonly ILogger _logger;
    private readonly ClusterInfo _cluster;
    private readonly ServerOptions _options;
    private readonly ServerMetrics? _metrics; // with --metrics-listen only
    private MetricsServer? _metricsServer;
    private int _disposed;

    private KvServer(ServerOptions options, DataDirectory directory, JoinedCluster? joined, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("kvraft.server");
        _directory = directory;
        var limits = SizeLimits.Storage(StorageLimits.Default);
        SizeLimits.Check(limits);
        var opening = Stopwatch.GetTimestamp();
        _log = FasterRaftLogStore.Open(Path.Combine(options.DataDir, "log"), limits, loggers.CreateLogger("kvraft.storage"));
        var logOpened = Stopwatch.GetTimestamp();
        _machine = FasterKvStateMachine.Open(Path.Combine(options.DataDir, "state"), limits);
        var machineOpened = Stopwatch.GetTimestamp();
        var incoming = Path.Combine(options.DataDir, "incoming");
        var abandoned = SnapshotInstaller.RemoveStagingFiles(incoming); // snapshots being received when the node last stopped
        if (abandoned > 0)
        {
            _logger.LogInformation("Removed {Count} abandoned snapshot staging files from {Folder}", abandoned, incoming);
        }

        _io = new IoLoop();
        _metrics = options.MetricsListen is null ? null : new ServerMetrics();
        var connections = new ConcurrentDictionary<long, ClientConnection>();
        NodeHost? host = null;
        var clientAddresses = ConfiguredClientAddresses(options);
        foreach (var (id, address) in joined?.ClientAddresses ?? [])
        {
            clientAddresses.TryAdd(id, address);
        }
        var cluster = new ClusterInfo(options.Id, clientAddresses);
        var feeder = new EventFeeder(() => host!, connections, cluster, _metrics);
        // The initial voters and the peers' addresses: --peers, or what the cluster told a joining node.
        var bootstrapPeers = joined?.PeerAddresses ?? ServerOptions.ParseAddresses(options.Peers).ToDictionary(p => p.Key, p => $"{p.Value.Host}:{p.Value.Port}");
        var voters = joined?.InitialVoters ?? bootstrapPeers.Keys.Order().ToArray();
        _peers = new PeerTransport(PeerTransportOptions(options, directory.ClusterId, bootstrapPeers, cluster, _io), feeder, loggers.CreateLogger("kvraft.transport"));
        _clients = NewClientListener(options, feeder, _io, loggers);
        var clientOutbox = new ConnectionClientOutbox(connections, _metrics);
        var peerOutbox = new TransportPeerOutbox(_peers, () => host!, _logger, _metrics, options.Id, bootstrapPeers);
        var node = new KvNode(new KvNodeOptions
        {
            Cluster = cluster,
            Voters = voters,
            BootstrapPeers = bootstrapPeers,
            ClusterId = directory.ClusterId,
            AutoPromoteDistance = options.AutoPromoteDistance,
            Seed = (ulong)Environment.TickCount64 ^ ((ulong)options.Id << 48),
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            LeaseReads = options.LeaseReads,
            Limits = options.Limits,
            Profile = (INodeProfile?)_metrics ?? NoNodeProfile.Instance,
        }, _log, _machine, peerOutbox, clientOutbox, loggers.CreateLogger("kvraft.node"))
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(_machine, incoming),
            InstallRunner = new BackgroundInstallRunner(() => host!),
        };
        _logger.LogInformation("Node {Id} recovered: Raft log opened in {LogMilliseconds:F0} ms, state machine in {MachineMilliseconds:F0} ms, node state in {NodeMilliseconds:F0} ms",
            options.Id, Stopwatch.GetElapsedTime(opening, logOpened).TotalMilliseconds, Stopwatch.GetElapsedTime(logOpened, machineOpened).TotalMilliseconds,
            Stopwatch.GetElapsedTime(machineOpened).TotalMilliseconds);
        if (node.Config.Voters.Length > 0)
        {
            peerOutbox.OnMembersChanged(node.Config, node.Directory); // the members as recovered, not --peers, are the peers
        }
        host = new NodeHost(node, _log, _machine, _io, options.TickMilliseconds, options.Limits.EventQueueCapacity, _logger)
        {
            OnClientDisconnected = clientOutbox.Forget,
            ClosePeerConnection = sender => _peers.Close(sender),
            Metrics = _metrics,
        };
        _metrics?.Observe(new MetricSources(() => host.Gauges, node.Statistics, () => host.QueueDepths, _peers.Statistics, _peers.IsConnected,
            bootstrapPeers.Keys.Where(id => id != options.Id).Order().ToArray(), _clients));
        _host = host;
        _node = node;
        _cluster = cluster;
        _options = options;
    }

    /// <summary>Whether this node has a live, hello-checked connection to peer <paramref name="nodeId"/>.</summary>
    public bool IsPeerConnected(int nodeId) => _peers.IsConnected(nodeId);

    /// <summary>The actual client port (useful with port 0).</summary>
    public int ClientPort => _clients.Port;

    /// <summary>Live counters of the node (snapshots taken and installed).</summary>
    public NodeStatistics Statistics => _node.Statistics;

    /// <summary>Completes when the node stops; faulted when it stopped on an error (a failed disk, say).</summary>
    public Task Stopped => _host.Stopped;

    /// <summary>Opens storage (refusing a corrupt one), starts the transports and the event loop.</summary>
    public static async Task<KvServer> StartAsync(ServerOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = loggers.CreateLogger("kvraft.server");
        JoinedCluster? joined = null;
        if (options.Join is not null)
        {
            joined = await ClusterJoin.JoinAsync(options, logger).ConfigureAwait(false);
            options = options.ClusterId == 0 ? options with { ClusterId = joined.ClusterId } : options;
        }
        if (options.ClusterId == 0 && DataDirectory.ReadIdentity(options.DataDir) is null)
        {
            logger.LogWarning("No --cluster-id for a new data directory: deriving one from --peers, which anyone who knows the addresses can guess");
        }
        var directory = DataDirectory.Open(options.DataDir, options.Id, options.ClusterId, options.EffectiveClusterId(), logger);
        KvServer server;
        try
        {
            server = new KvServer(options, directory, joined, loggers);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
        try
        {
            // Clients first: the hellos the peer transport sends announce the client address, port 0 resolved.
            await server._clients.StartAsync().ConfigureAwait(false);
            server._cluster.Learn(options.Id, server.AdvertisedClientAddress());
            await server._peers.StartAsync().ConfigureAwait(false);
            // Ticks start once peers can reach this node: a restarted node whose election timer ran out before its peer
            // listener was up sent pre-votes whose answers could not come back (seen 49 ms early in a kill run). Events
            // that arrive before (a client's request, a peer's Append) are taken by turns as they come.
            server._host.Start();
            server.StartMetrics();
            server._logger.LogInformation("Node {Id} serving clients on {Client}, peers on {Peer}", options.Id, options.ClientListen, options.PeerListen);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void StartMetrics()
    {
        if (_metrics is null || _options.MetricsListen is null)
        {
            return;
        }

        _metricsServer = new MetricsServer(_options.MetricsListen, _metrics.Scrape, _host.Health, _host.Ready, _logger);
        _metricsServer.Start();
        _logger.LogInformation("Node {Id} serving /metrics, /health and /ready on http://{Metrics}/", _options.Id, _options.MetricsListen);
    }

    /// <summary>The peer transport's options from the server's (shared with <see cref="GroupServer"/>).</summary>
    internal static TransportOptions PeerTransportOptions(ServerOptions options, ulong clusterId, IReadOnlyDictionary<int, string> bootstrapPeers, ClusterInfo cluster, IoLoop io)
    {
        (var peerHost, var peerPort) = ServerOptions.ParseEndpoint(options.PeerListen);
        return new TransportOptions
        {
            LocalNodeId = options.Id,
            ClusterId = clusterId,
            Shape = options.Shape(),
            ListenHost = peerHost,
            ListenPort = peerPort,
            Peers = bootstrapPeers.Where(p => p.Key != options.Id).Select(p => PeerEndpointOf(p.Key, p.Value)).ToList(),
            ClientAddress = () => cluster.ClientAddressOf(options.Id),
            Loop = io,
            AcceptedConnectionsMax = options.MaxPeerConnections,
            HelloPendingConnectionsMax = options.MaxPeerConnectionsBeforeHello,
            HelloTimeoutMilliseconds = options.PeerHelloTimeoutMilliseconds,
            IdleTimeoutMilliseconds = options.PeerIdleTimeoutMilliseconds,
            Tls = options.PeerTls,
        };
    }

    /// <summary>The client listener the server's options describe (shared with <see cref="GroupServer"/>).</summary>
    internal static ClientListener NewClientListener(ServerOptions options, IClientHandler handler, IoLoop io, ILoggerFactory loggers)
    {
        (var clientHost, var clientPort) = ServerOptions.ParseEndpoint(options.ClientListen);
        return new ClientListener(clientHost, clientPort, handler, loggers.CreateLogger("kvraft.clients"), new ClientListenerOptions
        {
            Loop = io,
            ConnectionsMax = options.MaxClientConnections,
            PendingResponseBytesMax = options.MaxClientPendingResponseBytes,
            PauseReadingResponseBytes = options.ClientPauseReadingBytes,
            PartialFrameTimeoutMilliseconds = options.ClientPartialFrameTimeoutMilliseconds,
            IdleTimeoutMilliseconds = options.ClientIdleTimeoutMilliseconds,
            Tls = options.ClientTls,
        });
    }

    private static PeerEndpoint PeerEndpointOf(int id, string address)
    {
        (var host, var port) = ServerOptions.ParseEndpoint(address);
        return new PeerEndpoint(id, host, port);
    }

    internal static Dictionary<int, string> ConfiguredClientAddresses(ServerOptions options) =>
        options.ClientPeers is null
            ? []
            : ServerOptions.ParseAddresses(options.ClientPeers).ToDictionary(p => p.Key, p => $"{p.Value.Host}:{p.Value.Port}");

    /// <summary>
    /// The client address this node announces to its peers (for their NotLeader hints): --client-listen with the
    /// port actually bound; a wildcard host (0.0.0.0, ::, *, +) is replaced by this node's host in --peers.
    /// </summary>
    private string AdvertisedClientAddress() => AdvertisedClientAddress(_options, _clients.Port);

    /// <summary>See <see cref="AdvertisedClientAddress()"/> (shared with <see cref="GroupServer"/>).</summary>
    internal static string AdvertisedClientAddress(ServerOptions options, int port)
    {
        (var host, _) = ServerOptions.ParseEndpoint(options.ClientListen);
        if (host is "0.0.0.0" or "::" or "[::]" or "*" or "+" or "")
        {
            host = ServerOptions.ParseAddresses(options.Peers)[options.Id].Host;
        }
        return $"{host}:{port}";
    }

    /// <summary>The node this one handed leadership to as it stopped (0: it was not the leader, or no one took over in time).</summary>
    public int HandedOverTo { get; private set; }

    /// <summary>Which step of stopping is running (or "stopped"): names the step a stop that hangs is stuck in.</summary>
    public string StopStep { get; private set; } = "running";

    /// <summary>
    /// A leader hands leadership to its best follower before it stops, waiting at most two election timeouts (the core
    /// abandons a transfer after one); a follower returns at once.
    /// </summary>
    private async Task HandOverLeadershipAsync()
    {
        if (_host.Stopped.IsCompleted)
        {
            return;
        }

        var patience = TimeSpan.FromMilliseconds(2.0 * _options.ElectionTicks * _options.TickMilliseconds);
        try
        {
            var leader = await _host.HandOverLeadershipAsync().WaitAsync(patience).ConfigureAwait(false);
            if (leader == 0 || leader == _options.Id)
            {
                return;
            }

            HandedOverTo = leader;
            _logger.LogInformation("Node {Id} handed leadership over to node {Leader} before stopping", _options.Id, leader);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Node {Id}: no new leader within {Milliseconds} ms of handing leadership over; stopping anyway", _options.Id, patience.TotalMilliseconds);
        }
    }

    /// <summary>Hands leadership over when leader, then stops serving, stops the loop, closes storage.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        BeginStopStep("handing leadership over");
        await HandOverLeadershipAsync().ConfigureAwait(false);
        // The event loop stops next: what the node held is answered then (NotLeader naming the leader it handed over
        // to, Retryable for what it had proposed), and every request arriving until the client connections close is
        // answered NotLeader at once by the stopped loop (NodeHost.Stop.cs): no client waits for the rest of the stop.
        BeginStopStep("stopping the event loop");
        await _host.DisposeAsync().ConfigureAwait(false);
        BeginStopStep("closing client connections");
        await _clients.DisposeAsync().ConfigureAwait(false);
        BeginStopStep("closing the metrics port");
        if (_metricsServer is not null)
        {
            await _metricsServer.DisposeAsync().ConfigureAwait(false);
        }
        BeginStopStep("closing peer connections");
        await _peers.DisposeAsync().ConfigureAwait(false);
        BeginStopStep("stopping the I/O thread");
        await _io.DisposeAsync().ConfigureAwait(false);
        BeginStopStep("closing the log");
        _log.Dispose();
        BeginStopStep("closing the state machine");
        _machine.Dispose();
        _directory.Dispose();
        _metrics?.Dispose();
        BeginStopStep("stopped");
    }

    private long _stopStepStarted; // timestamp of the current stop step's start (0: not stopping)

    /// <summary>Names the stop step now running and logs how long the previous one took (where a slow stop spends its time).</summary>
    private void BeginStopStep(string step)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_stopStepStarted != 0)
        {
            _logger.LogInformation("Node {Id} stopping: {Step} took {Milliseconds:F1} ms", _options.Id, StopStep,
                System.Diagnostics.Stopwatch.GetElapsedTime(_stopStepStarted, now).TotalMilliseconds);
        }
        StopStep = step;
        _stopStepStarted = now;
    }
}
