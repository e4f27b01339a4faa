using System;

namespace KvRaft.Raft;

/// <summary>
/// Everything the core needs to start, and every limit it enforces, in one place.
/// </summary>
public sealed class RaftConfig
{
    /// <summary>This node's id (non-zero).</summary>
    public required int Id { get; init; }

    /// <summary>The storage the core reads; the host writes it while handling each Ready.</summary>
    public required IRaftStorage Storage { get; init; }

    /// <summary>The injected source of randomness (election timeouts).</summary>
    public required Prng Random { get; init; }

    /// <summary>
    /// The index the host's state machine has already applied at start (0: nothing beyond the
    /// snapshot). Committed entries after it are handed out again. It may exceed the stored commit
    /// index (it is committed, having been applied), but never the stored log.
    /// </summary>
    public long Applied { get; init; }

    /// <summary>Election timeout T in ticks; each timeout is drawn from [T, 2T).</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Heartbeat interval in ticks (must be less than ElectionTicks).</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Ask for pre-votes before starting an election, so a rejoining node cannot depose a healthy leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader that has not heard from a quorum within an election timeout steps down.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>
    /// Serve reads from a leader lease instead of a heartbeat round per read batch (off by default).
    /// Safe only if clocks drift by less than <see cref="LeaseDriftTicks"/> per election timeout:
    /// the lease is the time since the send of the latest heartbeat a quorum acknowledged, and no
    /// follower votes for another node until an election timeout after it last heard from the leader
    /// (or after it started). Requires <see cref="CheckQuorum"/>.
    /// </summary>
    public bool LeaseReads { get; init; }

    /// <summary>How much shorter than an election timeout a lease is: the bound on clock drift, in ticks.</summary>
    public int LeaseDriftTicks { get; init; } = 3;

    /// <summary>Entries in one Append at most.</summary>
    public int AppendEntriesMax { get; init; } = 1024;

    /// <summary>Payload bytes in one Append at most (one entry is always allowed).</summary>
    public long AppendBytesMax { get; init; } = 1 << 20;

    /// <summary>Appends in flight to one follower at most (pipelining window).</summary>
    public int InflightMessagesMax { get; init; } = 64;

    /// <summary>Bytes in flight to one follower at most.</summary>
    public long InflightBytesMax { get; init; } = 16L << 20;

    /// <summary>Bytes of proposed but uncommitted entries at most; proposals beyond it are refused.</summary>
    public long UncommittedBytesMax { get; init; } = 64L << 20;

    /// <summary>Bytes of committed entries handed out in one Ready at most (one entry is always allowed).</summary>
    public long CommittedBytesPerReadyMax { get; init; } = 16L << 20;

    /// <summary>Entries in one proposal at most.</summary>
    public int ProposalEntriesMax { get; init; } = 4096;

    /// <summary>
    /// Heartbeat rounds confirming reads in flight at once, at most (a round starts with each ReadIndex call
    /// while fewer are in flight; later reads wait for the next one).
    /// </summary>
    public int ReadRoundsInFlightMax { get; init; } = 4;

    /// <summary>Reads waiting for a heartbeat round or for apply, at most; more are refused.</summary>
    public int PendingReadsMax { get; init; } = 65536;

    /// <summary>
    /// The host writes each Ready's entries and hard state in the background and takes the next Ready before
    /// that write ends (<see cref="RaftNode.AcceptReady"/>, then <see cref="RaftNode.OnPersisted"/>), instead of
    /// finishing the write before <see cref="RaftNode.Advance"/>. Committed entries are then handed out to
    /// apply only once they are durable here.
    /// </summary>
    public bool AsyncStorageWrites { get; init; }

    internal void Validate()
    {
        Invariant.True(Id > 0);
        Invariant.True(HeartbeatTicks > 0 && ElectionTicks > HeartbeatTicks, (HeartbeatTicks, ElectionTicks));
        Invariant.True(AppendEntriesMax > 0 && AppendBytesMax > 0);
        Invariant.True(ReadRoundsInFlightMax > 0, ReadRoundsInFlightMax);
        Invariant.True(InflightMessagesMax > 0 && InflightBytesMax > 0);
        Invariant.True(UncommittedBytesMax > 0 && CommittedBytesPerReadyMax > 0 && ProposalEntriesMax > 0);
        Invariant.True(PendingReadsMax > 0);
        Invariant.True(!LeaseReads || (CheckQuorum && LeaseDriftTicks > 0 && LeaseDriftTicks < ElectionTicks), (LeaseReads, CheckQuorum, LeaseDriftTicks));
    }
}
