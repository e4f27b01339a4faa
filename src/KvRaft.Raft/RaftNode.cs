using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// One Raft node as a pure, deterministic state machine: ticks, messages and proposals go in;
/// a <see cref="Ready"/> comes out; the host persists, sends and applies it, then calls
/// <see cref="Advance"/>. It does no I/O and reads no clock; all randomness comes from the
/// injected <see cref="Prng"/>. Not thread-safe: one thread (the host's event loop) owns it.
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly Prng _random;
    private ProgressTracker _tracker;
    private List<Message> _messages = new();
    private List<Message> _messagesAfterPersist = new();

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private int _leadTransferee;
    private long _uncommittedBytes;
    private long _ticksSinceStart; // with lease reads, a restarted node votes for nobody during its first election timeout

    /// <summary>Creates a node from what its storage holds.</summary>
    public RaftNode(RaftConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        _random = config.Random;
        _log = new RaftLog(config.Storage);
        (var hardState, var initialConfig) = config.Storage.InitialState();
        if (initialConfig is null || !initialConfig.Normalized().IsWellFormed())
        {
            throw new ArgumentException($"the storage holds a malformed configuration: {initialConfig}", nameof(config));
        }
        _tracker = NewTracker(initialConfig.Normalized());
        _configIndex = config.Storage.Snapshot.Index;
        Id = config.Id;
        Term = hardState.Term;
        Vote = hardState.Vote;
        Invariant.True(hardState.Commit <= _log.LastIndex, (hardState, _log.LastIndex));
        // Compaction follows a snapshot of applied, hence committed, entries: the boundary is committed even when
        // the hard state's commit index was not yet written (a host applies durable committed entries before
        // the write that carries the newer commit index ends, and may snapshot and compact meanwhile).
        _log.CommitTo(Math.Max(hardState.Commit, _log.FirstIndex - 1));
        var applied = Math.Max(config.Storage.FirstIndex - 1, 0);
        if (config.Applied > 0)
        {
            // What the state machine applied was committed, even if the hard state's commit index was not yet
            // written when the node stopped (a host may apply locally durable committed entries early).
            Invariant.True(config.Applied >= applied && config.Applied <= _log.LastIndex, (config.Applied, applied, _log.LastIndex));
            _log.CommitTo(config.Applied);
            applied = config.Applied;
            _log.AppliedTo(applied);
        }
        _applying = applied;
        ReplayConfigEntries(config.Storage, applied);
        _previousHardState = hardState;
        BecomeFollower(Term, 0);
    }

    /// <summary>This node's id.</summary>
    public int Id { get; }

    /// <summary>The current term.</summary>
    public long Term { get; private set; }

    /// <summary>Whom this node voted for in <see cref="Term"/> (0 for nobody).</summary>
    public int Vote { get; private set; }

    /// <summary>The leader this node knows of in <see cref="Term"/> (0 for none).</summary>
    public int Leader { get; private set; }

    /// <summary>
    /// <see cref="Leader"/> when this node leads or heard from the leader within the last election timeout, else 0: what a
    /// hint to clients may name. A node that never campaigns (a learner, or a node removed before it learned so) keeps
    /// <see cref="Leader"/> forever once the leader stops talking to it; naming that stale leader could send clients
    /// round a loop of nodes that are no longer members (simulator seed 38776).
    /// </summary>
    public int RecentLeader => Role == Role.Leader ? Id : _electionElapsed < _config.ElectionTicks ? Leader : 0;

    /// <summary>This node's role.</summary>
    public Role Role { get; private set; }

    /// <summary>The commit index.</summary>
    public long Committed => _log.Committed;

    /// <summary>The index of the last entry in the log (durable or not).</summary>
    public long LastIndex => _log.LastIndex;

    /// <summary>The term of the last log entry (or of the snapshot when the log is empty).</summary>
    public long LastTerm => _log.LastTerm;

    /// <summary>The voters of the configuration in effect (of both halves while it is joint), ascending.</summary>
    public IReadOnlyList<int> Voters => _tracker.Voters;

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    private ProgressTracker NewTracker(ConfigState config) =>
        new(config, _config.InflightMessagesMax, _config.InflightBytesMax);

    /// <summary>Advances logical time by one tick: drives elections, heartbeats and check-quorum.</summary>
    public void Tick() => Tick(1);

    /// <summary>
    /// Advances logical time by <paramref name="ticks"/> ticks at once, as a host that stalled (a pause, a slow
    /// disk) reports the time it missed; at most <see cref="TicksPerCallMax"/> count. Every timer moves by the
    /// full count, the clock of the leader's lease among them, so a leader whose lease ran out during the stall
    /// serves no lease read until a quorum acknowledges a heartbeat sent after it; what the timers trigger happens
    /// at most once per call (one heartbeat broadcast, one check-quorum, one campaign).
    /// </summary>
    public void Tick(int ticks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticks);
        var count = Math.Min(ticks, TicksPerCallMax);
#if PLANTED_BUGS
        if (PlantedBugs.Has(PlantedBug.LeaseWithoutStallProtection))
        {
            count = 1; // the ticks a stall missed are dropped
        }
#endif
        _ticksSinceStart += count;
        if (Role == Role.Leader)
        {
            TickLeader(count);
        }
        else
        {
            TickElection(count);
        }

        ExpireForwardedReads();
    }

    /// <summary>
    /// Ticks one <see cref="Tick(int)"/> call counts at most: past any lease and election timeout, so a longer
    /// stall acts as this one, and the timers stay bounded.
    /// </summary>
    public int TicksPerCallMax => 4 * _config.ElectionTicks;

    /// <summary>A status snapshot for tools and tests.</summary>
    public RaftStatus Status
    {
        get
        {
            Dictionary<int, FollowerStatus>? followers = null;
            if (Role == Role.Leader)
            {
                followers = new Dictionary<int, FollowerStatus>();
                foreach (var (id, progress) in _tracker.All)
                {
                    followers[id] = new FollowerStatus(progress.State, progress.Match, progress.Next, progress.Inflights.Count, progress.RecentActive);
                }
            }
            return new RaftStatus(Id, Role, Term, Vote, Leader, _log.Committed, _log.Applied, _log.FirstIndex,
                _log.LastIndex, _log.FirstIndex - 1, _leadTransferee, followers, _tracker.Config);
        }
    }

    private void Send(Message message)
    {
        message.From = Id;
        if (message.Term == 0)
        {
            message.Term = Term;
        }

        Invariant.True(message.To != Id && message.To != 0, message);
        if (message.Type is MessageType.AppendResponse or MessageType.VoteResponse
            || (message.Type == MessageType.Vote))
        {
            // These promise (or depend on) state in this Ready: they wait for it to be durable.
#if PLANTED_BUGS
            if (message.Type == MessageType.VoteResponse && PlantedBugs.Has(PlantedBug.VoteReplyBeforePersist))
            {
                _messages.Add(message);
                return;
            }
#endif
            _messagesAfterPersist.Add(message);
            return;
        }
        _messages.Add(message);
    }

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);

    private void Reset(long term)
    {
        if (Term != term)
        {
            Invariant.True(term > Term, (term, Term));
            Term = term;
            Vote = 0;
        }
        Leader = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        AbortLeadTransfer();
        _transferNotice = 0;
        _tracker.ResetVotes();
        _deferredPreVotes.Clear();
        _tracker.Reset(_log.LastIndex + 1);
        _uncommittedBytes = 0;
        DropPendingReads();
    }

    private void BecomeFollower(long term, int leader)
    {
        Reset(term);
        Role = Role.Follower;
        Leader = leader;
    }

    /// <summary>Whether this node may campaign: it is a voter (of either half) in the configuration it applied.</summary>
    private bool Promotable => _tracker.IsVoter(Id);
}
