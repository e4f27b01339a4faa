// Goal: a snapshot's checkpoint writes FasterKV's hash index only when it must (the first since the store was opened,
// or when a restart would replay more than KvCheckpointReplayBytesMax of log without a new one), and a store whose
// latest checkpoint is of the log alone recovers every write; method: FasterStores written and checkpointed in rounds,
// the checkpoint folders listed after each, then reopened and read back.
using System.Text;

namespace KvRaft.Storage.Tests;

public sealed class LogOnlyCheckpointTests : IDisposable
{
    private const int Keys = 300;
    private readonly TempDir _dir = new();

    [Fact]
    public void After_the_first_checkpoint_since_open_checkpoints_write_no_index_and_recovery_keeps_every_write()
    {
        var path = _dir.Sub("store");
        Guid firstIndex;
        using (var store = new FasterStore(path, Small.Limits, recover: false))
        {
            WriteRound(store, 0);
            store.Checkpoint();
            firstIndex = Assert.Single(Parts(path, "index-checkpoints"));
            Assert.Equal(firstIndex, Assert.Single(Parts(path, "cpr-checkpoints")));
            for (var round = 1; round <= 3; round++)
            {
                WriteRound(store, round);
                store.Checkpoint();
                Assert.Equal(firstIndex, Assert.Single(Parts(path, "index-checkpoints"))); // no index written again
                Assert.NotEqual(firstIndex, Assert.Single(Parts(path, "cpr-checkpoints"))); // the older log part deleted
            }
            WriteRound(store, 4); // after the last checkpoint: gone at the reopen
        }

        using var recovered = new FasterStore(path, Small.Limits, recover: true);
        Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(Value(3, k), recovered.Read(Key(k))));
        Assert.Null(recovered.Read(Encoding.UTF8.GetBytes("only-in-round-4")));
    }

    [Fact]
    public void A_checkpoint_whose_replay_would_exceed_the_bound_writes_the_index()
    {
        var path = _dir.Sub("store");
        var limits = Small.Limits with { KvCheckpointReplayBytesMax = 0 };
        using (var store = new FasterStore(path, limits, recover: false))
        {
            for (var round = 0; round < 3; round++)
            {
                WriteRound(store, round);
                store.Checkpoint();
                Assert.Equal(Assert.Single(Parts(path, "cpr-checkpoints")), Assert.Single(Parts(path, "index-checkpoints")));
            }
        }

        using var recovered = new FasterStore(path, limits, recover: true);
        Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(Value(2, k), recovered.Read(Key(k))));
    }

    [Fact]
    public void A_reopened_store_writes_the_index_at_its_first_checkpoint_and_recovers_again()
    {
        var path = _dir.Sub("store");
        using (var store = new FasterStore(path, Small.Limits, recover: false))
        {
            WriteRound(store, 0);
            store.Checkpoint();
            WriteRound(store, 1);
            store.Checkpoint(); // log-only
        }
        using (var reopened = new FasterStore(path, Small.Limits, recover: true))
        {
            Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(Value(1, k), reopened.Read(Key(k))));
            WriteRound(reopened, 2);
            reopened.Checkpoint();
            Assert.Equal(Assert.Single(Parts(path, "cpr-checkpoints")), Assert.Single(Parts(path, "index-checkpoints")));
            WriteRound(reopened, 3);
            reopened.Checkpoint(); // log-only again, over the new index
        }

        using var recovered = new FasterStore(path, Small.Limits, recover: true);
        Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(Value(3, k), recovered.Read(Key(k))));
    }

    public void Dispose() => _dir.Dispose();

    private static void WriteRound(FasterStore store, int round)
    {
        for (var k = 0; k < Keys; k++)
        {
            store.Write(Key(k), Value(round, k));
        }
        if (round == 4)
        {
            store.Write(Encoding.UTF8.GetBytes("only-in-round-4"), [1]);
        }
    }

    private static List<Guid> Parts(string storePath, string kind) =>
        Directory.GetDirectories(Path.Combine(storePath, "checkpoints", kind)).Select(folder => Guid.Parse(Path.GetFileName(folder))).ToList();

    private static byte[] Key(int k) => Encoding.UTF8.GetBytes($"key-{k:D5}");

    private static byte[] Value(int round, int k) => Encoding.UTF8.GetBytes($"value-{round}-{k}");
}
