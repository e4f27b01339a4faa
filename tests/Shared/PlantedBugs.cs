// Test-only: the switches of the bugs planted in the product's sources. The sources hold each planted bug behind
// `#if PLANTED_BUGS`, a constant only test assemblies that compile those sources define; the shipped assemblies are
// built without it and hold no trace of them.
namespace KvRaft;

/// <summary>A bug planted on purpose so a check can prove it bites.</summary>
[Flags]
internal enum PlantedBug
{
    None = 0,

    /// <summary>Core: grant votes without the up-to-date check on (last term, last index).</summary>
    VoteWithoutUpToDateCheck = 1 << 0,

    /// <summary>Core: commit an entry of a previous term by counting replicas (Figure 8).</summary>
    CommitPreviousTermByCounting = 1 << 1,

    /// <summary>Core: a follower appends without truncating a conflicting suffix.</summary>
    AppendWithoutTruncatingConflict = 1 << 2,

    /// <summary>Core: release a read without the heartbeat round that confirms leadership (no ReadIndex round).</summary>
    ReadWithoutHeartbeatRound = 1 << 3,

    /// <summary>Core: reply to a vote before the vote is persisted.</summary>
    VoteReplyBeforePersist = 1 << 4,

    /// <summary>Node: the state machine applies commands without their client session (no deduplication).</summary>
    DedupOff = 1 << 5,

    /// <summary>Host: a log write is reported durable (and what waits for it acknowledged) before it is synced.</summary>
    AckBeforeDurable = 1 << 6,

    /// <summary>Node: a snapshot install swaps the state machine and leaves the log's new boundary to a later sync, with nothing at start to repair the gap.</summary>
    SnapshotBoundaryAfterSwap = 1 << 7,

    /// <summary>Host: ticks missed during an event-loop stall are dropped, so a lease measured in ticks outlives its time.</summary>
    LeaseWithoutStallProtection = 1 << 8,

    /// <summary>Core: in the joint state, commit what a majority of the incoming voters alone holds.</summary>
    JointCommitByIncomingHalfOnly = 1 << 9,

    /// <summary>Core: learners count in the commit quorum as if they were voters.</summary>
    LearnerCountedInQuorum = 1 << 10,
}

/// <summary>Which planted bugs are on, per thread (a simulated run or a test runs on one thread).</summary>
internal static class PlantedBugs
{
    [ThreadStatic]
    private static PlantedBug _active;

    /// <summary>The bugs on for the current thread.</summary>
    public static PlantedBug Active => _active;

    /// <summary>True when <paramref name="bug"/> is planted on the current thread.</summary>
    public static bool Has(PlantedBug bug) => (_active & bug) != 0;

    /// <summary>Plants <paramref name="bugs"/> on the current thread until the returned scope is disposed.</summary>
    public static Scope Plant(PlantedBug bugs)
    {
        var previous = _active;
        _active = bugs;
        return new Scope(previous);
    }

    /// <summary>Restores the previous set when disposed.</summary>
    public readonly struct Scope(PlantedBug previous) : IDisposable
    {
        /// <summary>Restores the bugs planted before.</summary>
        public void Dispose() => _active = previous;
    }
}
