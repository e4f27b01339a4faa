// Goal: a shard chunk comes from another group over the network (ShardPullReply) and from the leader's log (InstallShard
// entries), so ShardChunkCodec.Validate checks every field before it is proposed or taken, and says which one does not
// fit: a record cut short, a key length of 0 or above the key limit, a value length out of range or above the value
// limit, keys not ascending after the cursor, a key of another shard, a session record whose key is not 9 bytes or whose
// value does not decode, a key of another space (metadata, extension records); a chunk it accepts installs without an
// error. Method: chunks written record by record with the codec's own layout; a seeded fuzz (the seed is in every
// failure message) mutates valid chunks and asserts Validate never throws and what it accepts installs.
using System.Buffers.Binary;
using KvRaft.Testing;

namespace KvRaft.Storage.Tests;

public sealed class ShardChunkValidationTests
{
    private const int Shards = 4, Shard = 1;
    private static readonly StorageLimits Limits = new() { KeyMaxBytes = 32, ValueMaxBytes = 64 };

    // The shard of a user key is its first byte modulo 4: "a..." is shard 1.
    private static int ShardOf(ReadOnlySpan<byte> key, int shardCount) => key[0] % shardCount;

    [Fact]
    public void A_well_formed_chunk_is_accepted_with_its_last_key_as_cursor()
    {
        var chunk = Chunk(User("a1", "x"), User("a2", "y"), Session(5), Session(9));
        Assert.Null(Validate(chunk, out var cursor));
        Assert.Equal(SessionKey(9), cursor);
    }

    [Fact]
    public void A_record_cut_short_is_refused()
    {
        var chunk = Chunk(User("a1", "x"), User("a2", "yy"));
        foreach (var cut in new[] { 1, 3, chunk.Length - 1 })
        {
            Assert.Matches("cut short|value length is out of range", Validate(chunk[..cut], out _) ?? "accepted");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(34)] // above KeyMaxBytes + 1 (the space byte)
    [InlineData(ushort.MaxValue)]
    public void A_key_length_of_0_or_above_the_limit_is_refused(int keyBytes)
    {
        var chunk = Chunk(User("a1", "x"));
        BinaryPrimitives.WriteUInt16LittleEndian(chunk, (ushort)keyBytes);
        Assert.Contains("key length is out of range", Validate(chunk, out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(2)] // past the chunk's end
    public void A_value_length_out_of_range_is_refused(int valueBytes)
    {
        var chunk = Chunk(User("a1", "x"));
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(2 + 3), valueBytes);
        Assert.Contains("value length is out of range", Validate(chunk, out _));
    }

    [Fact]
    public void A_value_above_the_value_limit_is_refused() =>
        Assert.Contains("larger than ValueMaxBytes", Validate(Chunk(User("a1", new string('v', Limits.ValueMaxBytes + 1))), out _));

    [Fact]
    public void Keys_not_ascending_after_the_cursor_are_refused()
    {
        Assert.Contains("ascending key order", Validate(Chunk(User("a2", "x"), User("a1", "y")), out _));
        Assert.Contains("ascending key order", Validate(Chunk(User("a1", "x"), User("a1", "y")), out _)); // a duplicated key
        Assert.Contains("ascending key order", ShardChunkCodec.Validate(Chunk(User("a1", "x")), UserKey("a5"), Shard, Shards, Limits, ShardOf, out _));
    }

    [Fact]
    public void A_key_of_another_shard_is_refused() =>
        Assert.Contains("a key of another shard", Validate(Chunk(User("a1", "x"), User("b1", "y")), out _));

    [Fact]
    public void A_session_record_that_would_not_load_is_refused()
    {
        Assert.Contains("malformed session record", Validate(Chunk((SessionKey(5)[..8], SessionValue())), out _)); // a key of 8 bytes
        Assert.Contains("malformed session record", Validate(Chunk((SessionKey(5), SessionValue()[..10])), out _)); // a value cut short
        var flags = SessionValue();
        flags[25] = 0x80; // a flag no session has
        Assert.Contains("malformed session record", Validate(Chunk((SessionKey(5), flags)), out _));
    }

    [Theory]
    [InlineData(2)] // metadata: the applied position, the configuration, the shard states
    [InlineData(3)] // the controller's extension records
    [InlineData(9)]
    public void A_key_of_another_space_is_refused(byte space) =>
        Assert.Contains("outside the user and session spaces", Validate(Chunk(([space, 3], [1, 2])), out _));

    [Fact]
    public void Mutated_chunks_are_refused_or_install_never_anything_else()
    {
        const int Seed = 16_2026;
        var random = new Random(Seed);
        var valid = Chunk(User("a1", "x"), User("a22", "yy"), User("e3", "zzz"), Session(5), Session(700));
        using var machine = new MemoryKvStateMachine(Limits);
        var refused = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = ByteMutations.Apply(valid, random);
            string? refusal;
            try
            {
                refusal = Validate(mutated, out _);
            }
            catch (Exception error)
            {
                Assert.Fail($"seed {Seed}, mutation {i}: {error.GetType().Name} escaped validation: {error.Message}");
                throw;
            }
            if (refusal is not null)
            {
                refused++;
                continue;
            }
            var results = new List<KvResult>();
            machine.ApplyBatch([new KvApply(i + 1, 1, new KvCommand(KvOp.InstallShard, mutated, new byte[] { 1 }))], results);
            Assert.True(results.Single().Status == KvStatus.Ok, $"seed {Seed}, mutation {i}: an accepted chunk did not install");
        }
        Assert.True(refused > 10_000, $"seed {Seed}: only {refused} of 20000 mutations refused: the mutations miss the fields");
    }

    private static string? Validate(byte[] chunk, out byte[] cursor) => ShardChunkCodec.Validate(chunk, [], Shard, Shards, Limits, ShardOf, out cursor);

    private static byte[] Chunk(params (byte[] Key, byte[] Value)[] records)
    {
        var chunk = new byte[records.Sum(record => ShardChunkCodec.RecordBytes(record.Key.Length, record.Value.Length))];
        var at = 0;
        foreach (var (key, value) in records)
        {
            at += ShardChunkCodec.WriteRecord(chunk.AsSpan(at), key, value);
        }
        return chunk;
    }

    private static byte[] UserKey(string key) => [KvKeys.UserSpace, .. System.Text.Encoding.UTF8.GetBytes(key)];

    private static (byte[], byte[]) User(string key, string value) => (UserKey(key), System.Text.Encoding.UTF8.GetBytes(value));

    private static byte[] SessionKey(long clientId)
    {
        var key = new byte[KvKeys.SessionKeyBytes];
        KvKeys.Session(clientId, key);
        return key;
    }

    private static byte[] SessionValue()
    {
        var session = new SessionState(LastSequence: 3, LastIndex: 4, LastDigest: 5, new KvResult(KvStatus.Ok, [7]), Identity: 11);
        var bytes = new byte[session.EncodedBytes];
        session.Encode(bytes);
        return bytes;
    }

    private static (byte[], byte[]) Session(long clientId) => (SessionKey(clientId), SessionValue());
}
