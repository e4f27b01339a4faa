using System;

namespace KvRaft.Protocol;

/// <summary>Raft message types, in the Raft core's order.</summary>
public enum PeerMessageType : byte
{
    /// <summary>Pre-vote request.</summary>
    PreVote = 0,
    /// <summary>Pre-vote answer.</summary>
    PreVoteResponse = 1,
    /// <summary>Vote request.</summary>
    Vote = 2,
    /// <summary>Vote answer.</summary>
    VoteResponse = 3,
    /// <summary>Log replication.</summary>
    Append = 4,
    /// <summary>Log replication answer.</summary>
    AppendResponse = 5,
    /// <summary>Leader heartbeat.</summary>
    Heartbeat = 6,
    /// <summary>Heartbeat answer.</summary>
    HeartbeatResponse = 7,
    /// <summary>Snapshot install (metadata; the bytes travel as snapshot chunks).</summary>
    Snapshot = 8,
    /// <summary>Leadership transfer: start an election now.</summary>
    TimeoutNow = 9,
    /// <summary>Read-index request.</summary>
    ReadIndex = 10,
    /// <summary>Read-index answer.</summary>
    ReadIndexResponse = 11,
    /// <summary>
    /// A follower's acknowledgement of the snapshot chunks it has staged (not a Raft message: the node's snapshot
    /// flow control handles it, the core never sees it). Index and LogTerm name the snapshot, Context the chunks staged,
    /// RejectHint the bytes staged; Reject: the chunk received did not continue the staged prefix (resume from Context).
    /// </summary>
    SnapshotAck = 12,
    /// <summary>
    /// Shard migration (not a Raft message; docs/wire-format.md, "Shard migration messages"), in a group frame of the
    /// group that must answer: the new owner asks the old owner for a chunk of a shard. Index: the configuration
    /// number; Commit: the shard; Context: the chunk index; one entry whose data is the cursor the chunk starts after.
    /// </summary>
    ShardPull = 13,
    /// <summary>
    /// The old owner's answer to <see cref="ShardPull"/>: Index, Commit, Context as asked; Reject: no data (LogTerm 1:
    /// not yet, 2: gone); else one entry whose data is the chunk, and RejectHint 1 when it is the last.
    /// </summary>
    ShardPullReply = 14,
    /// <summary>The new owner asks the old owner to drop its copy: Index the configuration number, Commit the shard.</summary>
    ShardDrop = 15,
    /// <summary>The old owner's answer to <see cref="ShardDrop"/>: Index and Commit as asked; Reject: not dropped yet.</summary>
    ShardDropReply = 16,
}

/// <summary>Log entry types, as in the Raft core.</summary>
public enum EntryType : byte
{
    /// <summary>An application command (a command batch).</summary>
    Normal = 0,
    /// <summary>The empty entry a new leader appends.</summary>
    NoOp = 1,
    /// <summary>A configuration change.</summary>
    Config = 2,
}

/// <summary>One log entry on the wire. <see cref="Data"/> may be a view into a received buffer.</summary>
public readonly record struct WireEntry(long Index, long Term, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Value equality; <see cref="Data"/> compared bytewise.</summary>
    public bool Equals(WireEntry other) =>
        Index == other.Index && Term == other.Term && Type == other.Type && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, Term, Type, Data.Length);
}

/// <summary>
/// Snapshot metadata carried by Snapshot messages: the snapshot's index and term and the cluster configuration in
/// effect at that index. The lists are fresh arrays after a parse (snapshot messages are rare: they are the only
/// allocations a peer-message parse makes). A configuration of voters alone is written as before learners existed;
/// one with learners, outgoing voters or auto-leave sets the message's extended-configuration flag.
/// </summary>
public readonly record struct SnapshotMeta(long Index, long Term, ReadOnlyMemory<int> Voters)
{
    /// <summary>The outgoing voters while the configuration is joint (C_old of C_old,new); empty otherwise.</summary>
    public ReadOnlyMemory<int> VotersOutgoing { get; init; }

    /// <summary>The learners (non-voting members).</summary>
    public ReadOnlyMemory<int> Learners { get; init; }

    /// <summary>While joint: the leader leaves the joint state on its own.</summary>
    public bool AutoLeave { get; init; }

    /// <summary>True when the configuration needs more than the voters (the extended form on the wire).</summary>
    public bool IsExtended => VotersOutgoing.Length > 0 || Learners.Length > 0 || AutoLeave;

    /// <summary>Value equality; the lists compared element by element.</summary>
    public bool Equals(SnapshotMeta other) =>
        Index == other.Index && Term == other.Term && Voters.Span.SequenceEqual(other.Voters.Span)
        && VotersOutgoing.Span.SequenceEqual(other.VotersOutgoing.Span) && Learners.Span.SequenceEqual(other.Learners.Span)
        && AutoLeave == other.AutoLeave;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, Term, Voters.Length, VotersOutgoing.Length, Learners.Length, AutoLeave);
}

/// <summary>
/// A Raft message on the wire, field for field the Raft core's message; the Server maps between
/// the two. After <see cref="PeerMessageCodec.Parse"/>, <see cref="Entries"/> (and each entry's
/// data) are views into the parsed buffer: valid only while the caller keeps that buffer unchanged.
/// </summary>
public readonly record struct PeerMessage
{
    /// <summary>Message type.</summary>
    public PeerMessageType Type { get; init; }
    /// <summary>Sender node id.</summary>
    public int From { get; init; }
    /// <summary>Receiver node id.</summary>
    public int To { get; init; }
    /// <summary>Sender's term.</summary>
    public long Term { get; init; }
    /// <summary>Term of the entry at <see cref="Index"/> (the meaning depends on the type).</summary>
    public long LogTerm { get; init; }
    /// <summary>A log index (the meaning depends on the type).</summary>
    public long Index { get; init; }
    /// <summary>Sender's commit index.</summary>
    public long Commit { get; init; }
    /// <summary>True when the request is refused.</summary>
    public bool Reject { get; init; }
    /// <summary>Where the follower suggests the leader retry from.</summary>
    public long RejectHint { get; init; }
    /// <summary>Opaque context echoed by answers (read index, heartbeats).</summary>
    public long Context { get; init; }
    /// <summary>Log entries, usually on Append only; empty by default.</summary>
    public EntryList Entries { get; init; }
    /// <summary>Snapshot metadata, on Snapshot messages.</summary>
    public SnapshotMeta? Snapshot { get; init; }
}
