// Goal: both state machines (FasterKV and the in-memory twin) export a shard's records and the group's sessions in
// bounded chunks, at the cost of the shard (one scan for the frozen shards of a configuration, a bounded index, exact
// beside applies of other shards on another thread), install chunks (sessions merged, the higher last sequence wins),
// drop a shard's keys, and keep the shard states across a reopen; method: one test body run on each, a toy shard
// function (the key's first byte), the state machines' export counters.
using System.Text;

namespace KvRaft.Storage.Tests;

public abstract class ShardMigrationContractTests : IDisposable
{
    private protected readonly TempDir _dir = new();
    private long _nextIndex = 1;
    private const int Shards = 4;

    private protected abstract KvStateMachineBase Open(string name);

    public void Dispose() => _dir.Dispose();

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    // The shard of "a..." is 'a' % 4 = 1, of "b..." 2, of "c..." 3, of "d..." 0.
    private static int ShardOf(ReadOnlySpan<byte> key, int shardCount) => key[0] % shardCount;

    private KvStateMachineBase OpenSharded(string name)
    {
        var machine = Open(name);
        machine.ShardOf = ShardOf;
        return machine;
    }

    private KvResult Apply(IKvStateMachine machine, KvCommand command)
    {
        var results = new List<KvResult>();
        machine.ApplyBatch([new KvApply(_nextIndex++, 1, command)], results);
        return Assert.Single(results);
    }

    /// <summary>Every chunk of <paramref name="shard"/>; with <paramref name="frozen"/>, as exports of configuration 5 in which those shards are frozen.</summary>
    private List<ShardChunk> ExportAll(IKvStateMachine machine, int shard, int chunkBytes, int[]? frozen = null)
    {
        var chunks = new List<ShardChunk>();
        var after = Array.Empty<byte>();
        while (true)
        {
            var chunk = frozen is null ? machine.ExportShard(shard, Shards, after, chunkBytes)
                : machine.ExportShard(new ShardExportRequest(shard, Shards, after, chunkBytes, Configuration: 5, frozen));
            Assert.Null(ShardChunkCodec.Validate(chunk.Payload, after, shard, Shards, Small.Limits, ShardOf, out var cursor));
            Assert.Equal(chunk.Cursor, cursor);
            Assert.True(chunk.Payload.Length <= ShardChunkCodec.ChunkBytesMax(chunkBytes, Small.Limits));
            chunks.Add(chunk);
            if (chunk.IsLast)
            {
                return chunks;
            }
            after = chunk.Cursor;
        }
    }

    [Fact]
    public void A_shard_exports_in_bounded_chunks_its_keys_alone_and_every_session()
    {
        using var machine = OpenSharded("old");
        for (var i = 0; i < 40; i++)
        {
            Apply(machine, new KvCommand(KvOp.Put, B($"a{i:D2}"), new byte[100]));
            Apply(machine, new KvCommand(KvOp.Put, B($"b{i:D2}"), new byte[100]));
        }
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        Apply(machine, new KvCommand(KvOp.Put, B("b-s"), B("v"), ClientId: 7, Sequence: 1));
        var chunks = ExportAll(machine, shard: 1, chunkBytes: 1000);
        Assert.True(chunks.Count > 3, $"{chunks.Count} chunks");
        var keys = chunks.SelectMany(chunk => Records(chunk.Payload)).Select(record => record.Key).ToList();
        Assert.Equal(41, keys.Count); // 40 keys of shard 1 and session 7; none of shard 2
        Assert.All(keys.Take(40), key => Assert.Equal((byte)'a', key[1]));
        Assert.Equal(1, keys[40][0]); // the session space
    }

    [Fact]
    public void Installed_chunks_give_the_new_owner_the_keys_and_sessions_and_a_retry_is_answered_not_applied()
    {
        using var old = OpenSharded("old");
        Apply(old, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        var first = Apply(old, new KvCommand(KvOp.Append, B("a1"), B("x"), ClientId: 7, Sequence: 1));
        Apply(old, new KvCommand(KvOp.RegisterSession, default, ClientId: 8));
        Apply(old, new KvCommand(KvOp.Put, B("a2"), B("y"), ClientId: 8, Sequence: 3));
        using var target = OpenSharded("new");
        Apply(target, new KvCommand(KvOp.RegisterSession, default, ClientId: 8));
        Apply(target, new KvCommand(KvOp.Put, B("b1"), B("z"), ClientId: 8, Sequence: 5)); // the newer record of session 8
        foreach (var chunk in ExportAll(old, shard: 1, chunkBytes: 16))
        {
            Apply(target, new KvCommand(KvOp.InstallShard, chunk.Payload, B("state")));
        }
        Assert.Equal(B("x"), target.Get(B("a1")));
        Assert.Equal(B("y"), target.Get(B("a2")));
        Assert.Equal(B("state"), target.ShardState);
        var retry = Apply(target, new KvCommand(KvOp.Append, B("a1"), B("x"), ClientId: 7, Sequence: 1));
        Assert.True(retry.Duplicate);
        Assert.Equal(first.Value, retry.Value);
        Assert.Equal(B("x"), target.Get(B("a1")));
        Assert.True(target.TryGetSession(8, out var sequence));
        Assert.Equal(5, sequence); // the higher last sequence won
    }

    [Fact]
    public async Task Dropping_a_shard_deletes_its_keys_alone_and_the_shard_states_survive_a_reopen()
    {
        using (var machine = OpenSharded("old"))
        {
            Apply(machine, new KvCommand(KvOp.Put, B("a1"), B("1")));
            Apply(machine, new KvCommand(KvOp.Put, B("b1"), B("2")));
            Apply(machine, new KvCommand(KvOp.Reconfigure, default, B("k2")));
            Apply(machine, new KvCommand(KvOp.DropShard, ShardChunkCodec.DropKey(1, Shards), B("dropped")));
            Assert.Null(machine.Get(B("a1")));
            Assert.Equal(B("2"), machine.Get(B("b1")));
            await machine.TakeSnapshotAsync([]);
        }
        using var reopened = OpenSharded("old");
        Assert.Equal(B("dropped"), reopened.ShardState);
        Assert.Null(reopened.Get(B("a1")));
        Assert.Single(ExportAll(reopened, shard: 1, chunkBytes: 100)); // nothing of shard 1 left: an empty last chunk
    }

    private void PutKeysOfFourShards(IKvStateMachine machine, int perShard)
    {
        for (var i = 0; i < perShard; i++)
        {
            foreach (var prefix in "abcd")
            {
                Apply(machine, new KvCommand(KvOp.Put, B($"{prefix}{i:D3}"), new byte[100]));
            }
        }
        Apply(machine, new KvCommand(KvOp.Put, B("a000"), new byte[100])); // a superseded version in the store's log
        Apply(machine, new KvCommand(KvOp.Delete, B("a001"), default)); // a tombstone
    }

    [Fact]
    public void Exporting_frozen_shards_in_many_chunks_scans_the_store_once_and_reads_only_the_values_it_sends()
    {
        using var machine = OpenSharded("old");
        PutKeysOfFourShards(machine, perShard: 100);
        var first = ExportAll(machine, shard: 1, chunkBytes: 1000, frozen: [1, 2]);
        var scanned = machine.ExportRecordsScanned;
        var second = ExportAll(machine, shard: 2, chunkBytes: 1000, frozen: [1, 2]);
        Assert.True(first.Count >= 10 && second.Count >= 10, $"{first.Count} and {second.Count} chunks");
        Assert.Equal(1, machine.ExportScans); // one scan for both shards, not one per chunk
        Assert.Equal(scanned, machine.ExportRecordsScanned);
        Assert.InRange(scanned, 399, 410); // the store's user records once (the twin holds live ones, FASTER's log a few versions more)
        Assert.InRange(machine.ExportValuesRead, 99 + 100, 100 + 100); // each key of the two shards read once (FASTER's log still names the deleted a001)
        Assert.Equal(99, first.Sum(chunk => Records(chunk.Payload).Count(record => record.Key[0] == KvKeys.UserSpace)));
        Assert.Equal(100, second.Sum(chunk => Records(chunk.Payload).Count(record => record.Key[0] == KvKeys.UserSpace)));
    }

    [Fact]
    public void A_shard_whose_keys_exceed_the_index_bound_is_exported_whole_by_a_few_more_scans()
    {
        using var machine = OpenSharded("old");
        PutKeysOfFourShards(machine, perShard: 100);
        machine.ExportIndexBytesMax = 30 * 53; // about 30 keys of 5 bytes kept at once
        var unbounded = ExportAll(machine, shard: 1, chunkBytes: 500);
        var bounded = ExportAll(machine, shard: 1, chunkBytes: 500, frozen: [1]);
        Assert.Equal(unbounded.SelectMany(chunk => Records(chunk.Payload)).Select(record => Convert.ToHexString(record.Key)),
            bounded.SelectMany(chunk => Records(chunk.Payload)).Select(record => Convert.ToHexString(record.Key)));
        Assert.InRange(machine.ExportScans - unbounded.Count, 3, 5); // 99 keys, about 30 per scan
    }

    [Fact]
    public async Task An_export_beside_applies_to_other_shards_returns_the_frozen_shards_records_exactly()
    {
        using var machine = OpenSharded("old");
        PutKeysOfFourShards(machine, perShard: 200);
        static List<string> Flatten(List<ShardChunk> chunks) =>
            [.. chunks.SelectMany(chunk => Records(chunk.Payload)).Select(record => Convert.ToHexString(record.Key) + "=" + Convert.ToHexString(record.Value))];
        var frozen = Flatten(ExportAll(machine, shard: 1, chunkBytes: 1000));
        // Another thread applies writes of shards 2 and 3 (values of changing sizes: in-place updates and new records)
        // while this one exports shard 1; the apply gate is the only thing they share.
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 3000; i++)
            {
                Apply(machine, new KvCommand(KvOp.Put, B($"{(i % 2 == 0 ? 'b' : 'c')}{i % 200:D3}"), new byte[50 + (i % 100)]));
            }
        });
        var exported = Flatten(ExportAll(machine, shard: 1, chunkBytes: 1000, frozen: [1]));
        await writer;
        Assert.Equal(frozen, exported);
        Assert.Equal(199, exported.Count);
    }

    [Fact]
    public void A_drop_after_an_export_of_its_configuration_deletes_the_indexed_keys_without_a_scan()
    {
        using var machine = OpenSharded("old");
        PutKeysOfFourShards(machine, perShard: 50);
        ExportAll(machine, shard: 1, chunkBytes: 1000, frozen: [1, 2]);
        var scanned = machine.ExportRecordsScanned;
        Apply(machine, new KvCommand(KvOp.DropShard, ShardChunkCodec.DropKey(2, Shards, configuration: 5), B("dropped 2")));
        Assert.Equal(scanned, machine.ExportRecordsScanned); // the index of configuration 5 named shard 2's keys
        Apply(machine, new KvCommand(KvOp.DropShard, ShardChunkCodec.DropKey(3, Shards, configuration: 5), B("dropped 3")));
        Assert.All(Enumerable.Range(0, 50), i =>
        {
            Assert.Null(machine.Get(B($"b{i:D3}")));
            Assert.Null(machine.Get(B($"c{i:D3}"))); // not indexed: found by a scan
            Assert.NotNull(machine.Get(B($"d{i:D3}")));
        });
    }

    [Fact]
    public void A_chunk_with_a_key_of_another_shard_or_a_malformed_record_is_refused()
    {
        using var machine = OpenSharded("old");
        Apply(machine, new KvCommand(KvOp.Put, B("a1"), B("1")));
        var chunk = ((IKvStateMachine)machine).ExportShard(1, Shards, [], 1000);
        Assert.NotNull(ShardChunkCodec.Validate(chunk.Payload, [], 2, Shards, Small.Limits, ShardOf, out _));
        Assert.NotNull(ShardChunkCodec.Validate(chunk.Payload[..^1], [], 1, Shards, Small.Limits, ShardOf, out _));
        Assert.NotNull(ShardChunkCodec.Validate(chunk.Payload, chunk.Cursor, 1, Shards, Small.Limits, ShardOf, out _)); // not after the cursor
        var badSpace = (byte[])chunk.Payload.Clone();
        badSpace[2] = 2; // the metadata space
        Assert.NotNull(ShardChunkCodec.Validate(badSpace, [], 1, Shards, Small.Limits, ShardOf, out _));
    }

    private static IEnumerable<(byte[] Key, byte[] Value)> Records(byte[] payload) =>
        ShardChunkCodec.Records(payload).Select(record => (record.Key.ToArray(), record.Value.ToArray())).ToList();
}

public sealed class MemoryShardMigrationTests : ShardMigrationContractTests
{
    private readonly Dictionary<string, MemoryKvStateMachine> _opened = [];

    // Reopening a memory machine is its crash recovery: the state of its last snapshot.
    private protected override KvStateMachineBase Open(string name) =>
        _opened[name] = _opened.TryGetValue(name, out var before) ? before.Recover() : new MemoryKvStateMachine(Small.Limits);
}

public sealed class FasterShardMigrationTests : ShardMigrationContractTests
{
    private protected override KvStateMachineBase Open(string name) => FasterKvStateMachine.Open(_dir.Sub(name), Small.Limits);
}
