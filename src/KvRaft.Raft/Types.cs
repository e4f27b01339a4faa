using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>What an entry carries.</summary>
public enum EntryType : byte
{
    /// <summary>An application command.</summary>
    Normal = 0,
    /// <summary>The empty entry a new leader appends to commit its term.</summary>
    NoOp = 1,
    /// <summary>A change of the cluster configuration (reserved for membership changes).</summary>
    Config = 2,
}

/// <summary>One log entry. Immutable once created.</summary>
public readonly record struct Entry(long Index, long Term, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Bytes the entry counts for in every byte limit (payload plus fixed header).</summary>
    public long SizeBytes => Data.Length + EntryOverheadBytes;

    /// <summary>Per-entry overhead counted in byte limits.</summary>
    public const int EntryOverheadBytes = 24;

    /// <inheritdoc />
    public override string ToString() => $"{Index}@{Term}{(Type == EntryType.Normal ? "" : ":" + Type)}";
}

/// <summary>The state that must be durable before messages depending on it leave the node.</summary>
public readonly record struct HardState(long Term, int Vote, long Commit)
{
    /// <summary>No term, no vote, nothing committed.</summary>
    public static readonly HardState Empty = new(0, 0, 0);
}

/// <summary>The cluster's voters. Kept in one place (the progress tracker) so that membership changes can extend it.</summary>
public sealed record ConfigState(int[] Voters)
{
    /// <inheritdoc />
    public bool Equals(ConfigState? other) => other is not null && Voters.AsSpan().SequenceEqual(other.Voters);

    /// <inheritdoc />
    public override int GetHashCode() => Voters.Length;

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(",", Voters) + "]";
}

/// <summary>Describes a snapshot: the last index and term it covers and the configuration at that index.</summary>
public readonly record struct SnapshotMetadata(long Index, long Term, ConfigState Config)
{
    /// <summary>True when this describes no snapshot.</summary>
    public bool IsEmpty => Index == 0;
}

/// <summary>A linearizable read released by the core: serve it from a state machine that has applied at least <see cref="Index"/>.</summary>
public readonly record struct ReadState(long Context, long Index);

/// <summary>The role a node plays.</summary>
public enum Role : byte
{
    /// <summary>Follows a leader (or waits for one).</summary>
    Follower,
    /// <summary>Asks for pre-votes without changing its term.</summary>
    PreCandidate,
    /// <summary>Asks for votes in a new term.</summary>
    Candidate,
    /// <summary>Leads the cluster in its term.</summary>
    Leader,
}

/// <summary>How a follower's snapshot transfer ended, as reported by the host.</summary>
public enum SnapshotStatus : byte
{
    /// <summary>The follower received and installed it.</summary>
    Finished,
    /// <summary>The transfer failed; the leader retries later.</summary>
    Failed,
}

/// <summary>The result of a proposal.</summary>
public enum ProposeStatus : byte
{
    /// <summary>Appended to the leader's log; it commits or is lost to a leader change.</summary>
    Accepted,
    /// <summary>This node is not the leader: nothing was appended.</summary>
    NotLeader,
    /// <summary>A leadership transfer is under way: nothing was appended.</summary>
    TransferInProgress,
    /// <summary>The uncommitted tail is over its byte limit: nothing was appended; retry later.</summary>
    TooManyUncommittedBytes,
    /// <summary>The batch is larger than one proposal may be: nothing was appended.</summary>
    TooLarge,
}
