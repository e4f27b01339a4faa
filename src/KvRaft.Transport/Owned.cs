using K4os.Compression.LZ4;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Turns parsed views of a receive buffer into values that own their memory, decompressing LZ4
/// blocks on the way. The announced size (bounded by <see cref="ProtocolLimits"/> in the parser) is
/// first checked against the block itself (<see cref="Lz4Block.DecodedLength"/>): a block that does
/// not decode to exactly that size is refused before anything is allocated, so a small frame cannot
/// make the node allocate much (no bombs, no partial data). Decompression then writes into an array
/// of exactly that size, which the receiver keeps (the node holds the entries), so it is not pooled.
/// </summary>
internal static class Owned
{
    public static ParseResult Message(in PeerMessage parsed, out PeerMessage owned)
    {
        owned = parsed;
        var entries = parsed.Entries;
        if (entries.Count == 0)
        {
            return ParseResult.Ok;
        }
        byte[] block;
        if (entries.IsCompressed)
        {
            if (Lz4Block.DecodedLength(entries.Block.Span, entries.UncompressedBytes) != entries.UncompressedBytes)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "LZ4 entries block does not decode to its announced length");
            }
            block = GC.AllocateUninitializedArray<byte>(entries.UncompressedBytes); // every byte written below, or refused
            if (LZ4Codec.Decode(entries.Block.Span, block) != block.Length)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "LZ4 entries block does not decompress to its announced length");
            }
        }
        else
        {
            block = Copy(entries.Block.Span);
        }
        var result = EntryList.ParseBlock(block, entries.Count, out var ownedEntries);
        owned = parsed with { Entries = ownedEntries };
        return result;
    }

    /// <summary>A copy without zeroing the array first (it is overwritten at once): entries blocks are tens of KiB.</summary>
    public static byte[] Copy(ReadOnlySpan<byte> bytes)
    {
        var copy = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(copy);
        return copy;
    }

    public static ParseResult Chunk(in SnapshotChunk parsed, out SnapshotChunk owned)
    {
        owned = parsed;
        if (!parsed.Compressed)
        {
            owned = parsed with { Payload = Copy(parsed.Payload.Span) };
            return ParseResult.Ok;
        }
        if (Lz4Block.DecodedLength(parsed.Payload.Span, parsed.UncompressedBytes) != parsed.UncompressedBytes)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "LZ4 snapshot chunk does not decode to its announced length");
        }
        var payload = GC.AllocateUninitializedArray<byte>(parsed.UncompressedBytes); // every byte written below, or refused
        if (LZ4Codec.Decode(parsed.Payload.Span, payload) != payload.Length)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "LZ4 snapshot chunk does not decompress to its announced length");
        }
        owned = parsed with { Compressed = false, Payload = payload };
        return ParseResult.Ok;
    }
}
