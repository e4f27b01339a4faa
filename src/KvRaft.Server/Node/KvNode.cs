using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// The deterministic node: runs the Raft core against its seams (log store, state machine,
/// peer outbox, client outbox) and serves the KV protocol on top. It never blocks, awaits or
/// reads a clock: the host calls it from one event-loop thread, feeds it elapsed ticks and events,
/// and performs the one asynchronous thing it asks for, the durable log commit, after
/// <see cref="TryAcceptReady"/> and before <see cref="OnLogWriteDurable"/> (several in flight at once).
/// </summary>
public sealed partial class KvNode
{
    private readonly RaftNode _raft;
    private readonly IRaftLogStore _log;
    private readonly IKvStateMachine _machine;
    private readonly IPeerOutbox _peers;
    private readonly IClientOutbox _clients;
    private readonly ClusterInfo _cluster;
    private readonly ServerLimits _limits;
    private readonly ILogger _logger;
    private readonly RaftStorageAdapter _storage;
    private long _tick;
    private Entry[] _incomingEntries = new Entry[16]; // reused by every incoming message
    private WireEntry[] _outgoingEntries = new WireEntry[16]; // reused by every outgoing message (outboxes copy)
    private Role _role;
    private int _leader; // the leader as of the last input (0: none), to count leader changes

    /// <summary>Creates the node over recovered storage.</summary>
    public KvNode(KvNodeOptions options, IRaftLogStore log, IKvStateMachine machine, IPeerOutbox peers, IClientOutbox clients, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        SizeLimits.Check(options.Limits); // a maximal request fits a proposal, a proposal one entry, an Append one frame
        _log = log;
        _machine = machine;
        _peers = peers;
        _clients = clients;
        _cluster = options.Cluster;
        _bootstrapPeers = options.BootstrapPeers;
        _clusterId = options.ClusterId;
        _autoPromoteDistance = options.AutoPromoteDistance;
        _initialVoters = options.Voters.Order().ToArray();
        _limits = options.Limits;
        _logger = logger;
        StorageReconciliation.Reconcile(log, machine, logger); // a kill inside a snapshot install leaves the log behind
        _storage = new RaftStorageAdapter(log, machine, new ConfigState(options.Voters.ToArray()), options.Limits.LogFetchBytesMax);
        _raft = new RaftNode(new RaftConfig
        {
            Id = options.Cluster.LocalId,
            Storage = _storage,
            Random = new Prng(options.Seed),
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            Applied = Math.Max(machine.AppliedIndex, log.FirstIndex - 1),
            LeaseReads = options.LeaseReads,
            AppendEntriesMax = options.Limits.AppendEntriesMax,
            AppendBytesMax = options.Limits.AppendBytesMax,
            UncommittedBytesMax = options.Limits.UncommittedBytesMax,
            CommittedBytesPerReadyMax = options.Limits.AppliedBytesPerTurnMax,
            InflightMessagesMax = options.Limits.InflightMessagesMax,
            InflightBytesMax = options.Limits.InflightBytesMax,
            AsyncStorageWrites = true, // the only Ready path: see KvNode.Ready.cs
        });
        _role = _raft.Role;
        _appliedConfig = _raft.Config;
        _appliedDirectory = RecoverDirectory(Math.Max(machine.AppliedIndex, log.FirstIndex - 1));
        _profile = options.Profile;
        _sessionIds = options.SessionIds;
        _registrationTokens = options.Limits.SessionRegistrationBurst;
        (_appendedTerm, _appendedVote) = (log.HardState.Term, log.HardState.Vote);
    }

    /// <summary>This node's id.</summary>
    public int Id => _raft.Id;

    /// <summary>Counters of what this node did (snapshots taken and installed).</summary>
    public NodeStatistics Statistics { get; } = new();

    /// <summary>The core's status.</summary>
    public RaftStatus RaftStatus => _raft.Status;

    /// <summary>One tick of logical time.</summary>
    public void OnTick() => OnTicks(1);

    /// <summary>
    /// <paramref name="elapsedTicks"/> ticks of logical time have passed since the last call (more than one after
    /// the host stalled): request timeouts and the core's timers, the leader's lease among them, move by all of
    /// them, so a leader paused past its lease does not serve lease reads when it resumes.
    /// </summary>
    public void OnTicks(int elapsedTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elapsedTicks);
        if (elapsedTicks == 0)
        {
            return;
        }

        _tick += elapsedTicks;
        _raft.Tick(elapsedTicks);
        FlushElectionLog();
        MaybeAutoPromote();
        DiscardIncomingFromFormerLeader();
        ExpireRequests();
        DriveMigration();
        AfterInput();
    }

    /// <summary>
    /// A message from peer <paramref name="sender"/> (the node id its connection authenticated; entries already
    /// decompressed, memory owned by the message). It is checked (<see cref="PeerMessageValidator"/>) before the core
    /// sees it; a refused message changes nothing, and the host closes the connection it came on.
    /// </summary>
    public PeerCheck OnPeerMessage(int sender, in PeerMessage message)
    {
        if (message.Type >= PeerMessageType.ShardPull)
        {
            var answered = OnShardMessage(sender, message); // migration between groups: not for the core
            AfterInput();
            return answered;
        }
        var check = PeerMessageValidator.Check(sender, message, View);
        if (check.IsRefused)
        {
            Statistics.PeerMessageRefused();
            return check;
        }
        if (message.Type == PeerMessageType.SnapshotAck)
        {
            return OnSnapshotAck(sender, message); // flow control of a snapshot stream: not for the core
        }

        var core = PeerMessageMapper.FromWire(message, ref _incomingEntries); // the core copies what it keeps
        LogElectionMessage("received", core);
        var taken = core.Type == MessageType.Snapshot ? StepSnapshot(core) : _raft.Step(core);
        AfterInput();
        if (taken)
        {
            return check;
        }

        Statistics.PeerMessageRefused();
        return PeerCheck.Refuse("the Raft core refused it as impossible");
    }

    /// <summary>What the node knows of itself, for checking a peer's input.</summary>
    private PeerView View => new(Id, _raft.Config, _raft.Term, _raft.Leader, _raft.Role, _raft.LastIndex);

    /// <summary>The transport could not reach <paramref name="peer"/>.</summary>
    public void OnPeerUnreachable(int peer) => _raft.ReportUnreachable(peer);

    private void AfterInput()
    {
        MarkWritesAcknowledged();
        if (_raft.Leader != _leader)
        {
            _leader = _raft.Leader;
            Statistics.LeaderChanged();
        }
        if (_raft.Role == _role)
        {
            _transfereeSeen = _raft.Role == Role.Leader ? _raft.LeadTransferee : 0;
            return;
        }

        var previous = _role;
        _role = _raft.Role;
        _handedOverTo = previous == Role.Leader ? (_raft.Term, _transfereeSeen) : default;
        _transfereeSeen = 0;
        _logger.LogInformation("Node {Id}: {Previous} -> {Role} in term {Term}", Id, previous, _role, _raft.Term);
        if (previous == Role.Leader)
        {
            FailProposals("leadership lost");
            _storage.Fetches.Drop();
            AbandonTransfers();
        }
    }
}

/// <summary>What a node is started with.</summary>
public sealed record KvNodeOptions
{
    /// <summary>Local id and the client addresses of every node (for NotLeader hints).</summary>
    public required ClusterInfo Cluster { get; init; }

    /// <summary>The initial voters (used until a snapshot records the configuration).</summary>
    public required IReadOnlyList<int> Voters { get; init; }

    /// <summary>
    /// The peer addresses the node was started with ("host:port" by id, from --peers): used for members the replicated
    /// member directory has no address for, and written into it by the next change this node proposes as leader.
    /// </summary>
    public IReadOnlyDictionary<int, string> BootstrapPeers { get; init; } = new Dictionary<int, string>();

    /// <summary>The cluster id (told to nodes that join through the member list; 0 in simulations).</summary>
    public ulong ClusterId { get; init; }

    /// <summary>
    /// Leader side (0: off): promote a learner whose match index is within this many entries of the leader's last
    /// index, one change at a time.
    /// </summary>
    public long AutoPromoteDistance { get; init; }

    /// <summary>Seed of the core's PRNG (election timeouts).</summary>
    public ulong Seed { get; init; }

    /// <summary>Election timeout in ticks.</summary>
    public int ElectionTicks { get; init; } = 30;

    /// <summary>Heartbeat interval in ticks.</summary>
    public int HeartbeatTicks { get; init; } = 3;

    /// <summary>Serve reads from the leader's lease (assumes bounded clock drift; see RaftConfig.LeaseReads).</summary>
    public bool LeaseReads { get; init; }

    /// <summary>The node's bounds.</summary>
    public ServerLimits Limits { get; init; } = new();

    /// <summary>The host's clock and histograms for the stage profile (none by default: the simulator, a node without metrics).</summary>
    public INodeProfile Profile { get; init; } = NoNodeProfile.Instance;

    /// <summary>Ids of the sessions this node registers when it leads (cryptographic randomness; seeded in simulations).</summary>
    public ISessionIdSource SessionIds { get; init; } = RandomSessionIds.Instance;
}
