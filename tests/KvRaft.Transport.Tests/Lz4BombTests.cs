// Goal: an LZ4 block is checked against its own bytes before anything is allocated for it: a small frame announcing a huge uncompressed size (a bomb) is refused without a large allocation, a block that decodes to other than it announces is refused, and every block the encoder makes passes with its exact length; method: Owned and Lz4Block called directly, allocation measured with GC.GetAllocatedBytesForCurrentThread, random blocks from fixed seeds.
using K4os.Compression.LZ4;
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class Lz4BombTests
{
    private const long SmallAllocationBytes = 64 * 1024;

    [Fact]
    public void An_entries_block_announcing_far_more_than_it_holds_is_refused_without_a_large_allocation()
    {
        var block = Lz4Of(new byte[1000]); // a few dozen bytes
        var bomb = Frames.Heartbeat(2, 5, 1) with { Entries = EntryList.FromCompressed(block, 1, ProtocolLimits.EntriesBlockBytesMax) };
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Owned.Message(bomb, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(result.IsOk);
        Assert.True(allocated < SmallAllocationBytes, $"{allocated} bytes allocated for a {block.Length}-byte block");
    }

    [Fact]
    public void A_snapshot_chunk_announcing_far_more_than_it_holds_is_refused_without_a_large_allocation()
    {
        var payload = Lz4Of(new byte[1000]);
        var bomb = new SnapshotChunk { Compressed = true, UncompressedBytes = ProtocolLimits.SnapshotChunkBytesMax, Payload = payload };
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Owned.Chunk(bomb, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(result.IsOk);
        Assert.True(allocated < SmallAllocationBytes, $"{allocated} bytes allocated for a {payload.Length}-byte payload");
    }

    [Fact]
    public void A_highly_compressed_real_chunk_still_decodes()
    {
        var data = new byte[ProtocolLimits.SnapshotChunkBytesMax]; // zeros: about 255 to 1
        var chunk = new SnapshotChunk { Compressed = true, UncompressedBytes = data.Length, Payload = Lz4Of(data) };
        Assert.True(Owned.Chunk(chunk, out var owned).IsOk);
        Assert.Equal(data.Length, owned.Payload.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_encoded_block_reports_its_exact_length_and_any_cut_or_change_of_it_is_caught(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 20_000)];
            var alphabet = random.Next(1, 256); // from one repeated byte (long matches) to noise (literals)
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (byte)random.Next(alphabet);
            }
            var block = Lz4Of(data);
            Assert.Equal(data.Length, Lz4Block.DecodedLength(block, data.Length));
            Assert.Equal(-1, Lz4Block.DecodedLength(block, data.Length - 1));
            if (block.Length > 1)
            {
                var cut = block[..random.Next(1, block.Length)];
                var length = Lz4Block.DecodedLength(cut, int.MaxValue);
                Assert.True(length != data.Length || DecodesTo(cut, data), $"seed {seed} round {round}: a cut block passed as whole");
            }
        }
    }

    private static bool DecodesTo(byte[] block, byte[] data)
    {
        var target = new byte[data.Length];
        return LZ4Codec.Decode(block, target) == data.Length && target.AsSpan().SequenceEqual(data);
    }

    private static byte[] Lz4Of(byte[] data)
    {
        var target = new byte[LZ4Codec.MaximumOutputSize(data.Length)];
        return target[..LZ4Codec.Encode(data, target)];
    }
}
