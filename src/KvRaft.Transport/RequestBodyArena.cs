namespace KvRaft.Transport;

/// <summary>
/// Where a client connection copies the request bodies it hands on (their keys and values must outlive the receive
/// buffer): small bodies are packed one after the other into chunks of <see cref="ChunkBytes"/>, so a connection
/// allocates one array per chunk, not one per request. A chunk is never reused: it is collected once no request
/// slice of it is referenced any more, so what a node keeps (queued writes, reads in flight) stays valid without
/// any release. Retention is bounded by the requests in flight: each keeps at most one chunk alive. Used by one
/// connection's handler, on its loop: not thread-safe.
/// </summary>
internal sealed class RequestBodyArena
{
    /// <summary>Chunk size: below the large-object threshold (85,000 bytes), so chunks are collected young.</summary>
    public const int ChunkBytes = 16 * 1024;

    /// <summary>Bodies larger than this get an array of their own (a chunk is not wasted on one large value).</summary>
    public const int SharedBodyBytesMax = ChunkBytes / 8;

    private byte[] _chunk = [];
    private int _usedBytes; // bytes of _chunk handed out; the rest is free: 0 <= _usedBytes <= _chunk.Length

    /// <summary>A copy of <paramref name="body"/> that stays valid as long as it is referenced.</summary>
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> body)
    {
        if (body.Length > SharedBodyBytesMax)
        {
            return body.ToArray();
        }
        if (_chunk.Length - _usedBytes < body.Length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(ChunkBytes); // every byte handed out is written first
            _usedBytes = 0;
        }
        var copy = _chunk.AsMemory(_usedBytes, body.Length);
        body.CopyTo(copy.Span);
        _usedBytes += body.Length;
        return copy;
    }
}
