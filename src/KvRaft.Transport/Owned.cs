using K4os.Compression.LZ4;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Turns parsed views of a receive buffer into values that own their memory, decompressing LZ4
/// blocks on the way. The announced size (bounded by <see cref="ProtocolLimits"/> in the parser) is
/// first checked against the block itself (<see cref="Lz4Block.DecodedLength"/>): a block that does
/// not decode to exactly that size is refused before anything is allocated, so a small frame cannot
/// make the node allocate much (no bombs, no partial data). Entries are decompressed into an array of exactly
/// that size, which the receiver keeps (the node holds the entries), so it is not pooled; snapshot chunk payloads
/// go into buffers of <see cref="SnapshotChunkPayloads"/>, given back once the chunk is written.
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

    /// <summary>
    /// A chunk whose payload is in a buffer lent by <paramref name="payloads"/> (<see cref="SnapshotChunkPayloads.Shared"/>
    /// by default): decompressed into it, or copied. Whoever consumes the chunk gives the buffer back once it is written.
    /// </summary>
    public static ParseResult Chunk(in SnapshotChunk parsed, out SnapshotChunk owned, SnapshotChunkPayloads? payloads = null)
    {
        payloads ??= SnapshotChunkPayloads.Shared;
        owned = parsed;
        if (!parsed.Compressed)
        {
            var copy = payloads.Rent(parsed.Payload.Length);
            parsed.Payload.Span.CopyTo(copy);
            owned = parsed with { Payload = copy.AsMemory(0, parsed.Payload.Length) };
            return ParseResult.Ok;
        }
        if (Lz4Block.DecodedLength(parsed.Payload.Span, parsed.UncompressedBytes) != parsed.UncompressedBytes)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "LZ4 snapshot chunk does not decode to its announced length");
        }
        var payload = payloads.Rent(parsed.UncompressedBytes); // every byte of its first UncompressedBytes written below, or refused
        if (LZ4Codec.Decode(parsed.Payload.Span, payload.AsSpan(0, parsed.UncompressedBytes)) != parsed.UncompressedBytes)
        {
            payloads.Return(payload);
            return ParseResult.Fail(ProtocolError.Malformed, "LZ4 snapshot chunk does not decompress to its announced length");
        }
        owned = parsed with { Compressed = false, Payload = payload.AsMemory(0, parsed.UncompressedBytes) };
        return ParseResult.Ok;
    }
}
