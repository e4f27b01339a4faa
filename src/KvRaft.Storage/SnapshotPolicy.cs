namespace KvRaft.Storage;

/// <summary>When to take a snapshot: once the log holds more than <see cref="StorageLimits.SnapshotAfterLogBytes"/> since the last compaction.</summary>
public static class SnapshotPolicy
{
    /// <summary>True when the server should call <see cref="IKvStateMachine.TakeSnapshotAsync"/> and then compact the log.</summary>
    public static bool ShouldSnapshot(IRaftLogStore log, StorageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(limits);
        return log.BytesSinceCompaction > limits.SnapshotAfterLogBytes;
    }
}
