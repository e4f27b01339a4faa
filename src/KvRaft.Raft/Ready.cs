using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// What the core asks of its host after a batch of inputs. The host handles it in this order:
/// <list type="number">
/// <item>Send <see cref="Messages"/> at once (the leader's Appends leave while its own log is written: §10.2.1).</item>
/// <item>Make <see cref="Snapshot"/>, <see cref="Entries"/> and <see cref="HardState"/> durable, in one write.</item>
/// <item>Send <see cref="MessagesAfterPersist"/> (votes and acknowledgements that promise what was just persisted).</item>
/// <item>Apply <see cref="CommittedEntries"/>; then serve <see cref="ReadStates"/> and fail <see cref="DroppedReads"/>.</item>
/// <item>Call <see cref="RaftNode.Advance"/>. Until then no other Ready is given out.</item>
/// </list>
/// The object and its lists are reused: they are valid until <see cref="RaftNode.Advance"/>.
/// </summary>
public sealed class Ready
{
    internal readonly List<Entry> EntryList = new();
    internal List<Message> MessageList = new();
    internal List<Message> AfterPersistList = new();
    internal readonly List<Entry> CommittedList = new();
    internal readonly List<ReadState> ReadStateList = new();
    internal readonly List<ReadState> ConfirmedReadList = new();
    internal readonly List<long> DroppedReadList = new();

    /// <summary>The current term, vote and commit index.</summary>
    public HardState HardState { get; internal set; }

    /// <summary>True when <see cref="HardState"/> differs from the last one handed out and must be written.</summary>
    public bool HardStateChanged { get; internal set; }

    /// <summary>The leader this node knows of (0 for none) and its role.</summary>
    public int Leader { get; internal set; }

    /// <summary>This node's role.</summary>
    public Role Role { get; internal set; }

    /// <summary>
    /// The configuration in effect when it changed since the previous Ready (null otherwise): a Config entry handed
    /// out earlier was applied (at <see cref="RaftNode.Advance"/>), or a snapshot was restored. The host opens and
    /// closes peer connections by it, and keeps it with its snapshots (<see cref="RaftNode.Config"/> is always current).
    /// </summary>
    public ConfigState? Config { get; internal set; }

    /// <summary>A snapshot received from the leader, to install (its bytes came through the snapshot seam).</summary>
    public SnapshotMetadata? Snapshot { get; internal set; }

    /// <summary>Entries to append durably; an entry at an index already stored replaces it and every later one.</summary>
    public IReadOnlyList<Entry> Entries => EntryList;

    /// <summary>Messages that may leave at once.</summary>
    public IReadOnlyList<Message> Messages => MessageList;

    /// <summary>Messages that may leave only once this Ready's entries and hard state are durable.</summary>
    public IReadOnlyList<Message> MessagesAfterPersist => AfterPersistList;

    /// <summary>Committed entries to apply, in order.</summary>
    public IReadOnlyList<Entry> CommittedEntries => CommittedList;

    /// <summary>Reads released: serve each once <see cref="CommittedEntries"/> are applied.</summary>
    public IReadOnlyList<ReadState> ReadStates => ReadStateList;

    /// <summary>
    /// Reads whose read index became known since the previous Ready: leadership confirmed by a quorum or the lease
    /// (at the leader), or the leader's answer (at a follower). Nothing to do: each comes out in <see cref="ReadStates"/>
    /// once this node has applied its index (in this Ready or a later one). A host may timestamp them, to tell the
    /// wait for confirmation from the wait for apply.
    /// </summary>
    public IReadOnlyList<ReadState> ConfirmedReads => ConfirmedReadList;

    /// <summary>Reads that will never be released (leadership lost): fail them with a retryable error.</summary>
    public IReadOnlyList<long> DroppedReads => DroppedReadList;

    /// <summary>True when the host must fsync for this Ready (entries, hard state or snapshot).</summary>
    public bool MustSync => EntryList.Count > 0 || HardStateChanged || Snapshot is not null;

    internal void Clear()
    {
        EntryList.Clear();
        MessageList.Clear();
        AfterPersistList.Clear();
        CommittedList.Clear();
        ReadStateList.Clear();
        ConfirmedReadList.Clear();
        DroppedReadList.Clear();
        Snapshot = null;
        Config = null;
        HardStateChanged = false;
    }
}

/// <summary>A point-in-time view of a node, for tools and tests.</summary>
public readonly record struct RaftStatus(
    int Id,
    Role Role,
    long Term,
    int Vote,
    int Leader,
    long Commit,
    long Applied,
    long FirstIndex,
    long LastIndex,
    long SnapshotIndex,
    int LeadTransferee,
    IReadOnlyDictionary<int, FollowerStatus>? Followers,
    ConfigState Config);

/// <summary>The leader's view of one follower.</summary>
public readonly record struct FollowerStatus(ProgressState State, long Match, long Next, int Inflight, bool RecentActive);

/// <summary>The result of asking for a linearizable read.</summary>
public enum ReadIndexStatus : byte
{
    /// <summary>Queued: a ReadState (or a dropped read) with this context will come out of a Ready.</summary>
    Accepted,
    /// <summary>No leader is known: ask again later or elsewhere.</summary>
    NoLeader,
    /// <summary>Too many reads are pending.</summary>
    TooManyPending,
}

/// <summary>
/// What a host reports back when the write of a Ready it accepted is durable: that Ready's last entry and
/// snapshot (zeros when it had none).
/// </summary>
public readonly record struct PersistedMark(long LastIndex, long LastTerm, long SnapshotIndex);
