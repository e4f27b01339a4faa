// Goal: the snapshot policy waits for log growth in proportion to the latest snapshot, between a floor and a cap (the
// cap winning over the floor), so a small store truncates its log often and a big one does not snapshot constantly.
// Replicas of different ids snapshot at different log sizes, so that they do not all pause together.
// Method: the pure functions at sizes around the floor and cap, and over node ids.
namespace KvRaft.Storage.Tests;

public sealed class SnapshotPolicyTests
{
    private const long Floor = 16L << 20;
    private const long Cap = 64L << 20;

    [Theory]
    [InlineData(0L, Floor)] // no snapshot yet: the floor
    [InlineData(1L << 20, Floor)] // 10,000 keys (~1 MiB): truncated every 16 MiB of log
    [InlineData(Floor, Floor)]
    [InlineData(40L << 20, 40L << 20)] // between floor and cap: as many log bytes as the snapshot holds
    [InlineData(Cap, Cap)]
    [InlineData(1L << 30, Cap)] // 10 M keys: capped
    [InlineData(long.MaxValue, Cap)]
    public void A_snapshot_waits_for_log_bytes_as_large_as_the_latest_snapshot_between_floor_and_cap(long latestSnapshotBytes, long expected) =>
        Assert.Equal(expected, SnapshotPolicy.LogBytesBeforeSnapshot(latestSnapshotBytes, Floor, Cap));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L << 20)]
    [InlineData(1L << 30)]
    public void A_cap_below_the_floor_wins(long latestSnapshotBytes) =>
        Assert.Equal(4096, SnapshotPolicy.LogBytesBeforeSnapshot(latestSnapshotBytes, Floor, 4096));

    [Fact]
    public void The_threshold_never_decreases_as_the_snapshot_grows()
    {
        var previous = 0L;
        for (var bytes = 0L; bytes < 1L << 31; bytes = bytes * 2 + 12345)
        {
            var threshold = SnapshotPolicy.LogBytesBeforeSnapshot(bytes, Floor, Cap);
            Assert.InRange(threshold, Math.Max(previous, Floor), Cap);
            previous = threshold;
        }
    }

    [Fact]
    public void Replicas_of_a_three_node_group_snapshot_at_three_different_log_sizes_none_above_the_threshold()
    {
        var thresholds = new[] { 1, 2, 3 }.Select(id => SnapshotPolicy.Staggered(Cap, id)).ToArray();
        Assert.Equal(3, thresholds.Distinct().Count());
        Assert.All(thresholds, threshold => Assert.InRange(threshold, Cap / 2, Cap));
        Assert.Equal(Cap, SnapshotPolicy.Staggered(Cap, 4));
    }
}
