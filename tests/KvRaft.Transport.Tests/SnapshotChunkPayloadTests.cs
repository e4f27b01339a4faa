// Goal: received snapshot chunk payloads live in pooled buffers that go back to the pool once released: the data is exact, a released buffer is lent again, only buffers the pool lent are taken back (once), and a chunk that fails its length check takes none; method: Owned.Chunk against a pool of the test's own, its counters and buffer identities checked.
using System.Runtime.InteropServices;
using K4os.Compression.LZ4;
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class SnapshotChunkPayloadTests
{
    [Fact]
    public void A_decompressed_payload_is_exact_and_its_buffer_is_lent_again_after_release()
    {
        var pool = new SnapshotChunkPayloads();
        var data = Data(300_000, seed: 1);
        var chunk = new SnapshotChunk { Compressed = true, UncompressedBytes = data.Length, Payload = Lz4Of(data) };

        Assert.True(Owned.Chunk(chunk, out var first, pool).IsOk);
        Assert.False(first.Compressed);
        Assert.True(first.Payload.Span.SequenceEqual(data));
        Assert.Equal((1, 0), (pool.Rented, pool.Returned));
        var buffer = ArrayOf(first.Payload);

        pool.Return(first.Payload);
        pool.Return(first.Payload); // a second release does nothing
        Assert.Equal(1, pool.Returned);

        Assert.True(Owned.Chunk(chunk, out var second, pool).IsOk);
        Assert.Same(buffer, ArrayOf(second.Payload));
        Assert.True(second.Payload.Span.SequenceEqual(data));
    }

    [Fact]
    public void An_uncompressed_payload_is_copied_into_a_pooled_buffer_and_foreign_memory_is_never_taken()
    {
        var pool = new SnapshotChunkPayloads();
        var data = Data(1000, seed: 2);
        Assert.True(Owned.Chunk(new SnapshotChunk { UncompressedBytes = data.Length, Payload = data }, out var owned, pool).IsOk);
        Assert.NotSame(data, ArrayOf(owned.Payload));
        Assert.True(owned.Payload.Span.SequenceEqual(data));
        pool.Return(data); // not the pool's: ignored
        pool.Return(new byte[1024]);
        Assert.Equal(0, pool.Returned);
        pool.Return(owned.Payload);
        Assert.Equal((1, 1), (pool.Rented, pool.Returned));
    }

    [Fact]
    public void A_chunk_that_fails_its_length_check_takes_no_buffer()
    {
        var pool = new SnapshotChunkPayloads();
        var data = Data(1000, seed: 3);
        var lying = new SnapshotChunk { Compressed = true, UncompressedBytes = data.Length + 1, Payload = Lz4Of(data) };
        Assert.False(Owned.Chunk(lying, out _, pool).IsOk);
        Assert.Equal(0, pool.Rented);
    }

    private static byte[] ArrayOf(ReadOnlyMemory<byte> memory)
    {
        Assert.True(MemoryMarshal.TryGetArray(memory, out var segment));
        return segment.Array!;
    }

    private static byte[] Data(int bytes, int seed)
    {
        var random = new Random(seed);
        var data = new byte[bytes];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)random.Next(16); // compressible
        }

        return data;
    }

    private static byte[] Lz4Of(byte[] data)
    {
        var target = new byte[LZ4Codec.MaximumOutputSize(data.Length)];
        return target[..LZ4Codec.Encode(data, target)];
    }
}
