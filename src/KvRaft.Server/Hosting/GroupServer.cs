using System.Collections.Concurrent;
using System.Collections.Frozen;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Metrics;
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// A process of a sharded cluster (issue 16): the controller group 0 and the data groups 1..<see cref="ServerOptions.Groups"/>,
/// over one shared Raft log (<c>data-dir/shared-log</c>), a FasterKV state machine per group (<c>data-dir/groups/G/state</c>),
/// one peer transport and one client listener, one I/O thread and one event loop (<see cref="GroupHost"/>). Every node of
/// the cluster hosts every group, with the same members (--peers); within each group a replica's Raft id is its node id.
/// A client request names its group (a GroupClientRequest frame; group 0 the plain frame); a data group serves the keys
/// of the shards it owns in the bootstrap configuration (<see cref="ShardController.Bootstrap"/>), every other key
/// request is answered WrongGroup.
/// </summary>
public sealed class GroupServer : IRunningServer
{
    private readonly DataDirectory _directory;
    private readonly SharedRaftLog _log;
    private readonly Dictionary<int, FasterKvStateMachine> _machines = [];
    private readonly PeerTransport _peers;
    private readonly ClientListener _clients;
    private readonly IoLoop _io;
    private readonly GroupHost _host;
    private readonly ClusterInfo _cluster;
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly GroupReplicas _replicas;
    private MetricsServer? _metricsServer;
    private int _disposed;

    private GroupServer(ServerOptions options, DataDirectory directory, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("kvraft.server");
        _directory = directory;
        _options = options;
        if (Directory.Exists(Path.Combine(options.DataDir, "log")))
        {
            throw new DataDirectoryRefusedException($"{options.DataDir} holds a one-group node's log: it cannot be started with --groups {options.Groups}");
        }
        var limits = SizeLimits.Storage(StorageLimits.Default);
        SizeLimits.Check(limits);
        _log = SharedRaftLog.Open(Path.Combine(options.DataDir, "shared-log"), limits, loggers.CreateLogger("kvraft.storage"));
        _io = new IoLoop();
        var connections = new ConcurrentDictionary<long, ClientConnection>();
        GroupHost? host = null;
        _cluster = new ClusterInfo(options.Id, KvServer.ConfiguredClientAddresses(options));
        var bootstrapPeers = ServerOptions.ParseAddresses(options.Peers).ToDictionary(p => p.Key, p => $"{p.Value.Host}:{p.Value.Port}");
        var groups = Enumerable.Range(0, options.Groups + 1).ToFrozenSet(); // the controller 0 and the data groups
        var configurations = new ReplicatedShardController(Bootstrap(options, bootstrapPeers)); // group 0's applied state
        var feeder = new GroupEventFeeder(new EventFeeder(() => host!, connections, _cluster, metrics: null), () => host!, groups);
        _peers = new PeerTransport(KvServer.PeerTransportOptions(options, directory.ClusterId, bootstrapPeers, _cluster, _io), feeder, loggers.CreateLogger("kvraft.transport"));
        _clients = KvServer.NewClientListener(options, feeder, _io, loggers);
        var clientOutbox = new ConnectionClientOutbox(connections, metrics: null);
        var replicas = _replicas = new GroupReplicas(_log) { QuiesceAfterTicks = options.Quiesce ? 10 * options.ElectionTicks : 0 };
        foreach (var group in groups.Order())
        {
            try
            {
                replicas.Add(group, NewNode(new GroupRouting(group, configurations), replicas, bootstrapPeers, clientOutbox, () => host!, loggers));
            }
            catch (StorageCorruptException error) when (error.File.Length == 0)
            {
                // A record the state machine holds does not load (the shard states, the controller's configurations): name its store.
                throw new StorageCorruptException($"{Path.Combine(GroupFolder(group), "state")}: {error.Message}", error);
            }
        }
        _host = host = new GroupHost(replicas, _machines.ToDictionary(pair => pair.Key, pair => (IKvStateMachine)pair.Value), _peers, _io,
            options.TickMilliseconds, options.Limits.EventQueueCapacity, _logger)
        {
            OnClientDisconnected = clientOutbox.Forget,
        };
    }

    /// <summary>
    /// Configuration 1, the same on every process: the data groups 1..G, each with every node of --peers as a member
    /// (client addresses from --client-peers), the shards balanced over them.
    /// </summary>
    internal static ShardController Bootstrap(ServerOptions options, Dictionary<int, string> bootstrapPeers)
    {
        var clientAddresses = KvServer.ConfiguredClientAddresses(options);
        var members = bootstrapPeers.OrderBy(peer => peer.Key).Select(peer => new ShardGroupMember(peer.Key, peer.Value, clientAddresses[peer.Key])).ToArray();
        var groups = Enumerable.Range(1, options.Groups).Select(group => new ShardGroup(group, members)).ToArray();
        return ShardController.Bootstrap(Protocol.Sharding.ShardMap.DefaultShardCount, groups);
    }

    private string GroupFolder(int group) => Path.Combine(_options.DataDir, "groups", group.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private KvNode NewNode(GroupRouting routing, GroupReplicas replicas, Dictionary<int, string> bootstrapPeers, ConnectionClientOutbox clients, Func<GroupHost> host, ILoggerFactory loggers)
    {
        var group = routing.GroupId;
        var folder = GroupFolder(group);
        var machine = FasterKvStateMachine.Open(Path.Combine(folder, "state"), SizeLimits.Storage(StorageLimits.Default));
        if (routing.IsController)
        {
            machine.Extension = (ReplicatedShardController)routing.Configurations; // reloaded from group 0's records
        }
        _machines.Add(group, machine);
        var incoming = Path.Combine(folder, "incoming");
        SnapshotInstaller.RemoveStagingFiles(incoming);
        var outbox = new TransportPeerOutbox(_peers, host, _logger, metrics: null, _options.Id, bootstrapPeers, group);
        var node = new KvNode(new KvNodeOptions
        {
            Cluster = _cluster,
            Voters = bootstrapPeers.Keys.Order().ToArray(),
            BootstrapPeers = bootstrapPeers,
            ClusterId = _directory.ClusterId,
            Seed = (ulong)Environment.TickCount64 ^ ((ulong)_options.Id << 48) ^ ((ulong)group << 32),
            ElectionTicks = _options.ElectionTicks,
            HeartbeatTicks = _options.HeartbeatTicks,
            LeaseReads = _options.LeaseReads,
            Limits = _options.Limits,
        }, replicas.OpenLog(group), machine, new GroupPeerOutbox(outbox, group), clients, loggers.CreateLogger($"kvraft.group{group}"))
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(machine, incoming),
            InstallRunner = new GroupInstallRunner(host, group),
            Routing = routing,
        };
        if (group == 0 && node.Config.Voters.Length > 0)
        {
            outbox.OnMembersChanged(node.Config, node.Directory);
        }
        return node;
    }

    /// <inheritdoc/>
    public Task Stopped => _host.Stopped;

    /// <summary>The core's status of each group's replica here, by group id.</summary>
    public Task<Raft.RaftStatus[]> GroupStatusesAsync() => _host.StatusAsync();

    /// <summary>The actual client port (useful with port 0).</summary>
    public int ClientPort => _clients.Port;

    /// <summary>Commits of the shared log so far: one device sync covers the writes of every group in it.</summary>
    public long LogCommits => _log.CommitCount;

    /// <summary>The log writes of each group that the shared log's commits covered, by group id (0 the controller).</summary>
    public IReadOnlyList<long> GroupLogWrites => [.. _replicas.GroupIds.Order().Select(_replicas.Statistics.WritesOfGroup)];

    /// <summary>Whether this node has a live, hello-checked connection to peer <paramref name="nodeId"/>.</summary>
    public bool IsPeerConnected(int nodeId) => _peers.IsConnected(nodeId);

    /// <summary>Peer connections refused (on either end) because the peer runs another cluster shape (--groups, --peers ids).</summary>
    public long PeerShapeMismatches => _peers.Statistics.ShapeMismatches;

    /// <summary>Group frames dropped because this process does not host their group.</summary>
    public long UnknownGroupFrames => _peers.Statistics.UnknownGroupFrames;

    /// <summary>Opens storage, starts the transports and the event loop.</summary>
    public static async Task<GroupServer> StartAsync(ServerOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = loggers.CreateLogger("kvraft.server");
        var directory = DataDirectory.Open(options.DataDir, options.Id, options.ClusterId, options.EffectiveClusterId(), logger);
        GroupServer server;
        try
        {
            server = new GroupServer(options, directory, loggers);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
        try
        {
            await server._clients.StartAsync().ConfigureAwait(false);
            server._cluster.Learn(options.Id, KvServer.AdvertisedClientAddress(options, server._clients.Port));
            await server._peers.StartAsync().ConfigureAwait(false);
            // Ticks start once peers can reach this node: a restarted node whose election timer ran out before its peer
            // listener was up sent pre-votes whose answers could not come back (seen 49 ms early in a kill run). Events
            // that arrive before (a client's request, a peer's Append) are taken by turns as they come.
            server._host.Start();
            server.StartMetrics();
            logger.LogInformation("Node {Id} hosting the controller and {Groups} data groups, serving clients on {Client}, peers on {Peer}", options.Id, options.Groups, options.ClientListen, options.PeerListen);
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
        if (_options.MetricsListen is null)
        {
            return;
        }
        var nodeStatistics = _replicas.GroupIds.ToDictionary(group => group, group => _replicas[group].Statistics); // read off the loop: no lookup in the replicas
        var metrics = new GroupServerMetrics(new GroupMetricsSources(() => _log.CommitCount, () => _replicas.QuiescedCount, _replicas.Statistics,
            [.. _replicas.GroupIds.Order()], group => nodeStatistics[group], _host.Statistics, _peers.Statistics, _clients.Statistics));
        _metricsServer = new MetricsServer(_options.MetricsListen, metrics.Scrape, _host.Health, _host.Health, _logger);
        _metricsServer.Start();
        _logger.LogInformation("Node {Id} serving /metrics, /health and /ready on http://{Metrics}/", _options.Id, _options.MetricsListen);
    }

    /// <summary>Groups another process led once this one handed them over as it stopped (0 before the stop, or none).</summary>
    public int HandedOverGroups { get; private set; }

    /// <summary>
    /// Every group led here is handed to its best follower before the process stops, waiting at most two election
    /// timeouts (the core abandons a transfer after one).
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
            HandedOverGroups = await _host.HandOverLeadershipAsync().WaitAsync(patience).ConfigureAwait(false);
            if (HandedOverGroups > 0)
            {
                _logger.LogInformation("Node {Id} handed leadership of {Groups} groups over before stopping", _options.Id, HandedOverGroups);
            }
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Node {Id}: groups not led elsewhere within {Milliseconds} ms of handing leadership over; stopping anyway", _options.Id, patience.TotalMilliseconds);
        }
    }

    /// <summary>Hands over the groups led here, then stops the loop, the transports and the I/O thread, then closes storage.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await HandOverLeadershipAsync().ConfigureAwait(false);
        if (_metricsServer is not null)
        {
            await _metricsServer.DisposeAsync().ConfigureAwait(false);
        }
        await _host.DisposeAsync().ConfigureAwait(false);
        await _clients.DisposeAsync().ConfigureAwait(false);
        await _peers.DisposeAsync().ConfigureAwait(false);
        await _io.DisposeAsync().ConfigureAwait(false);
        _log.Dispose();
        foreach (var machine in _machines.Values)
        {
            machine.Dispose();
        }

        _directory.Dispose();
    }
}
