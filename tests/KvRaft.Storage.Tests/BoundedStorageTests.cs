// Goal: the FasterKV state machine's disk use follows its live data, not its write history: a small key space
// overwritten many times, with snapshots as a node takes them (each one compacts the log behind it, the next one's
// checkpoint makes that durable and frees the segments below it), keeps the state machine's folder within a small
// multiple of the live bytes, and every key reads back its latest value after a reopen; method: 1,000 keys x 200 rounds
// of 1 KiB values, a snapshot every 4 MiB written (the node's trigger at a smaller threshold), the folder's file
// lengths summed through the file system after each snapshot.
using Xunit.Abstractions;

namespace KvRaft.Storage.Tests;

public sealed class BoundedStorageTests(ITestOutputHelper output) : IDisposable
{
    private const int Keys = 1000;
    private const int Rounds = 200;
    private const int ValueBytes = 1024;
    private const long SnapshotAfterBytes = 4L << 20;
    private const int Multiple = 8; // disk / live at most

    private static readonly StorageLimits Limits = Small.Limits with
    {
        KvMemoryBits = 22,
        KvPageBits = 16,
        KvSegmentBits = 20,
        KvIndexBuckets = 1 << 10,
    };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Overwriting_a_small_key_space_keeps_disk_use_within_a_small_multiple_of_the_live_data()
    {
        var root = _dir.Sub("sm");
        const long liveBytes = (long)Keys * ValueBytes;
        var largest = 0L;
        var snapshots = 0;
        using (var machine = FasterKvStateMachine.Open(root, Limits))
        {
            long index = 0, sinceSnapshot = 0;
            for (var round = 0; round < Rounds; round++)
            {
                var batch = Enumerable.Range(0, Keys).Select(k => new KvApply(++index, 1, new KvCommand(KvOp.Put, Key(k), Value(round, k)))).ToArray();
                machine.ApplyBatch(batch, []);
                sinceSnapshot += (long)Keys * ValueBytes;
                if (sinceSnapshot >= SnapshotAfterBytes)
                {
                    await machine.TakeSnapshotAsync([1]);
                    snapshots++;
                    sinceSnapshot = 0;
                    largest = Math.Max(largest, FolderBytes(root));
                }
            }
            await machine.TakeSnapshotAsync([1]); // compacts what the last rounds left behind
            await machine.TakeSnapshotAsync([1]); // its checkpoint makes that durable; the segments below go
            var final = FolderBytes(root);
            output.WriteLine($"live {liveBytes} B; on disk: largest at a snapshot {largest} B, after the last {final} B ({snapshots + 2} snapshots)");
            Assert.True(final <= Multiple * liveBytes, $"{final} bytes on disk after {Rounds} rounds and {snapshots + 2} snapshots, more than {Multiple} x the {liveBytes} live");
        }
        Assert.True(largest <= Multiple * liveBytes, $"{largest} bytes on disk at a snapshot, more than {Multiple} x the {liveBytes} live");
        using var reopened = FasterKvStateMachine.Open(root, Limits);
        Assert.Equal((long)Keys * Rounds, reopened.AppliedIndex);
        Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(Value(Rounds - 1, k), reopened.Get(Key(k))));
    }

    private static long FolderBytes(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);

    private static byte[] Key(int k) => System.Text.Encoding.UTF8.GetBytes($"key-{k:D4}");

    /// <summary>A value that differs per key and round and does not compress (the snapshot file is part of the folder).</summary>
    private static byte[] Value(int round, int k)
    {
        var value = new byte[ValueBytes];
        new Random((round * Keys) + k).NextBytes(value);
        return value;
    }
}
