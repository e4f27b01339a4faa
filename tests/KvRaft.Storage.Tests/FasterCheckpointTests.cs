// Goal: writes made once BeginCheckpoint has returned (the state machine's applies go on then, outside the apply gate) are in neither the checkpoint nor the snapshot's export; method: a FasterStore written before and after the call, many keys and rounds, then recovered from the checkpoint and exported below the returned address.
using System.Text;

namespace KvRaft.Storage.Tests;

public sealed class FasterCheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task Writes_after_the_fold_over_are_in_neither_the_checkpoint_nor_the_export()
    {
        const int keys = 500;
        var path = _dir.Sub("store");
        long untilAddress = 0;
        using (var store = new FasterStore(path, Small.Limits, recover: false))
        {
            for (var round = 0; round < 3; round++)
            {
                for (var k = 0; k < keys; k++)
                {
                    store.Write(Key(k), Value(round, k)); // in place, then copied after each fold-over
                }

                var (until, durable) = store.BeginCheckpoint();
                untilAddress = until;
                for (var k = 0; k < keys; k++)
                {
                    store.Write(Key(k), Value(round + 100, k)); // the next version: not in this checkpoint
                }

                store.Write(Encoding.UTF8.GetBytes("late" + round), [1]);
                await durable;
                var exported = store.RecordsUntil(untilAddress, new ExportTally()).ToDictionary(r => Encoding.UTF8.GetString(r.Key), r => r.Value);
                Assert.Equal(keys, exported.Count);
                Assert.All(Enumerable.Range(0, keys), k => Assert.Equal(Value(round, k), exported[Encoding.UTF8.GetString(Key(k))]));
                if (round < 2)
                {
                    for (var k = 0; k < keys; k++)
                    {
                        store.Write(Key(k), Value(round + 1, k));
                    }

                    for (var k = 0; k < keys; k++)
                    {
                        store.Delete(Encoding.UTF8.GetBytes("late" + round));
                    }
                }
            }
        }
        using var recovered = new FasterStore(path, Small.Limits, recover: true);
        Assert.All(Enumerable.Range(0, keys), k => Assert.Equal(Value(2, k), recovered.Read(Key(k))));
        Assert.Null(recovered.Read(Encoding.UTF8.GetBytes("late2")));
    }

    public void Dispose() => _dir.Dispose();

    private static byte[] Key(int k) => Encoding.UTF8.GetBytes($"key-{k:D5}");

    private static byte[] Value(int round, int k) => Encoding.UTF8.GetBytes($"value-{round}-{k}");
}
