namespace KvRaft.Storage;

/// <summary>
/// When to take a snapshot (and truncate the log behind it): once the log has grown, since the last snapshot, by
/// about the size of that snapshot, within a floor and a cap. Rewriting the whole state costs as much as the snapshot
/// is large, so log growth in proportion to it keeps the cost of snapshots per byte written constant, and the Raft
/// log's disk use within a small multiple of the live data: a small store truncates its log often (every floor's
/// worth), a big one does not snapshot constantly (it waits for its own size, up to the cap).
/// </summary>
public static class SnapshotPolicy
{
    /// <summary>
    /// Log bytes to write after a snapshot before the next: <paramref name="latestSnapshotBytes"/> (0: none yet) raised
    /// to <paramref name="floorBytes"/>, then capped by <paramref name="capBytes"/> (the cap wins over the floor).
    /// </summary>
    public static long LogBytesBeforeSnapshot(long latestSnapshotBytes, long floorBytes, long capBytes) =>
        Math.Min(capBytes, Math.Max(floorBytes, latestSnapshotBytes));

    /// <summary>
    /// <paramref name="thresholdBytes"/> lowered by an eighth per step of <paramref name="nodeId"/> mod 4 (node 4k:
    /// the whole threshold; 4k + 1: 7/8; 4k + 2: 3/4; 4k + 3: 5/8). Replicas apply the same entries, so with one
    /// threshold all of them reach it at the same log position and take their snapshots in the same second: measured,
    /// those seconds lost 36–93% of the cluster's throughput (bench/put-flatness.sh). Staggered, at most one replica of
    /// three snapshots at a time in steady state, and a quorum of the others keeps committing at full speed.
    /// </summary>
    public static long Staggered(long thresholdBytes, int nodeId)
    {
        Invariant.True(thresholdBytes >= 0 && nodeId > 0); // a threshold is not negative, a node id positive
        return thresholdBytes - thresholdBytes / 8 * (nodeId % 4);
    }
}
