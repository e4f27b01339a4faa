using System.Collections.Concurrent;
using System.Collections.Frozen;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// A process hosting replicas of <see cref="ServerOptions.Groups"/> groups (issue 16): one shared Raft log for all of
/// them (<c>data-dir/shared-log</c>), a FasterKV state machine per group (<c>data-dir/groups/G/state</c>), one peer
/// transport and one client listener, one I/O thread and one event loop (<see cref="GroupHost"/>). Every node of the
/// cluster hosts every group, with the same members (--peers); within each group a replica's Raft id is its node id.
/// Clients are served by group 0 only until requests name their group (docs/design.md, "Client routing").
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
        var groups = Enumerable.Range(0, options.Groups).ToFrozenSet();
        var feeder = new GroupEventFeeder(new EventFeeder(() => host!, connections, _cluster, metrics: null), () => host!, groups);
        _peers = new PeerTransport(KvServer.PeerTransportOptions(options, directory.ClusterId, bootstrapPeers, _cluster, _io), feeder, loggers.CreateLogger("kvraft.transport"));
        _clients = KvServer.NewClientListener(options, feeder, _io, loggers);
        var clientOutbox = new ConnectionClientOutbox(connections, metrics: null);
        var replicas = new GroupReplicas(_log);
        for (var group = 0; group < options.Groups; group++)
        {
            replicas.Add(group, NewNode(group, replicas, bootstrapPeers, clientOutbox, () => host!, loggers));
        }
        _host = host = new GroupHost(replicas, _machines.ToDictionary(pair => pair.Key, pair => (IKvStateMachine)pair.Value), _peers, _io,
            options.TickMilliseconds, options.Limits.EventQueueCapacity, _logger)
        {
            OnClientDisconnected = clientOutbox.Forget,
        };
    }

    private KvNode NewNode(int group, GroupReplicas replicas, Dictionary<int, string> bootstrapPeers, ConnectionClientOutbox clients, Func<GroupHost> host, ILoggerFactory loggers)
    {
        var folder = Path.Combine(_options.DataDir, "groups", group.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var machine = FasterKvStateMachine.Open(Path.Combine(folder, "state"), SizeLimits.Storage(StorageLimits.Default));
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

    /// <summary>Whether this node has a live, hello-checked connection to peer <paramref name="nodeId"/>.</summary>
    public bool IsPeerConnected(int nodeId) => _peers.IsConnected(nodeId);

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
            server._host.Start();
            await server._clients.StartAsync().ConfigureAwait(false);
            server._cluster.Learn(options.Id, KvServer.AdvertisedClientAddress(options, server._clients.Port));
            await server._peers.StartAsync().ConfigureAwait(false);
            logger.LogInformation("Node {Id} hosting {Groups} groups, serving clients on {Client}, peers on {Peer}", options.Id, options.Groups, options.ClientListen, options.PeerListen);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the loop, the transports and the I/O thread, then closes storage.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
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
