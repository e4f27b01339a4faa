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
    /// <summary>A change of the cluster configuration: its payload is a <see cref="ConfigChangeCodec"/> encoding.</summary>
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

/// <summary>
/// A cluster configuration (see docs/design.md, "Membership"): the voters, and while a joint change is under way
/// (C_old,new) also the outgoing voters, every quorum then needing a majority of each; the learners, which receive
/// the log but never vote nor count in a quorum; and whether the leader leaves the joint state on its own.
/// Invariants (checked by <see cref="IsWellFormed"/>): ids positive and distinct within each list, ascending;
/// learners are no voter of either half; <see cref="AutoLeave"/> only when joint.
/// </summary>
public sealed record ConfigState(int[] Voters)
{
    /// <summary>Members of a configuration at most (voters of both halves and learners together).</summary>
    public const int MembersMax = 64;

    /// <summary>The outgoing voters while joint (C_old of C_old,new); empty otherwise.</summary>
    public int[] VotersOutgoing { get; init; } = [];

    /// <summary>Members that receive the log and snapshots but never vote, campaign or count in a quorum.</summary>
    public int[] Learners { get; init; } = [];

    /// <summary>While joint: the leader proposes leaving the joint state as soon as it has applied entering it.</summary>
    public bool AutoLeave { get; init; }

    /// <summary>True in the joint state (two voter sets).</summary>
    public bool IsJoint => VotersOutgoing.Length > 0;

    /// <summary>Whether <paramref name="id"/> votes in either half.</summary>
    public bool IsVoter(int id) => Array.IndexOf(Voters, id) >= 0 || Array.IndexOf(VotersOutgoing, id) >= 0;

    /// <summary>Whether <paramref name="id"/> is a learner.</summary>
    public bool IsLearner(int id) => Array.IndexOf(Learners, id) >= 0;

    /// <summary>Whether <paramref name="id"/> is a voter or a learner.</summary>
    public bool IsMember(int id) => IsVoter(id) || IsLearner(id);

    /// <summary>Whether the invariants above hold (a configuration from a peer or a file is checked with it).</summary>
    public bool IsWellFormed()
    {
        if (Voters is null || VotersOutgoing is null || Learners is null)
        {
            return false;
        }

        if (Voters.Length + VotersOutgoing.Length + Learners.Length > MembersMax)
        {
            return false;
        }

        if (!IsAscendingPositive(Voters) || !IsAscendingPositive(VotersOutgoing) || !IsAscendingPositive(Learners))
        {
            return false;
        }

        if (AutoLeave && !IsJoint)
        {
            return false;
        }

        foreach (var learner in Learners)
        {
            if (IsVoter(learner))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsAscendingPositive(int[] ids)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] <= 0 || (i > 0 && ids[i] <= ids[i - 1]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The same configuration with every list sorted ascending (how the core keeps it).</summary>
    public ConfigState Normalized() => this with
    {
        Voters = Sorted(Voters),
        VotersOutgoing = Sorted(VotersOutgoing),
        Learners = Sorted(Learners),
    };

    private static int[] Sorted(int[] ids)
    {
        var copy = (int[])ids.Clone();
        Array.Sort(copy);
        return copy;
    }

    /// <inheritdoc />
    public bool Equals(ConfigState? other) => other is not null
        && Voters.AsSpan().SequenceEqual(other.Voters)
        && VotersOutgoing.AsSpan().SequenceEqual(other.VotersOutgoing)
        && Learners.AsSpan().SequenceEqual(other.Learners)
        && AutoLeave == other.AutoLeave;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voters.Length, VotersOutgoing.Length, Learners.Length, AutoLeave);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = "[" + string.Join(",", Voters) + "]";
        if (IsJoint)
        {
            text += "&&[" + string.Join(",", VotersOutgoing) + "]" + (AutoLeave ? " autoleave" : "");
        }

        if (Learners.Length > 0)
        {
            text += " learners=[" + string.Join(",", Learners) + "]";
        }

        return text;
    }
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
