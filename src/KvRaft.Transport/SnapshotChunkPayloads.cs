using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Pooled buffers for the payloads of received snapshot chunks (decompressed, or copied when sent uncompressed): a
/// chunk handed to <see cref="IPeerHandler.OnSnapshotChunk"/> holds one until its consumer has written it and calls
/// <see cref="Release"/> (a chunk dropped without it is collected; nothing breaks). The pool keeps at most
/// <see cref="BuffersPerSizeMax"/> buffers of each power-of-two size up to <see cref="ProtocolLimits.SnapshotChunkBytesMax"/>
/// (a snapshot stream uses one size: at most 8 × 4 MiB kept); renting beyond that allocates. Only buffers this pool
/// lent are ever returned to it (marked when lent, unmarked when returned), so a release of any other chunk, or a
/// second release, does nothing.
/// </summary>
public sealed class SnapshotChunkPayloads
{
    /// <summary>Buffers of one size the pool keeps at most.</summary>
    public const int BuffersPerSizeMax = 8;

    private static readonly object Mark = new();
    private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create(ProtocolLimits.SnapshotChunkBytesMax, BuffersPerSizeMax);
    private readonly ConditionalWeakTable<byte[], object> _lent = new(); // the buffers lent and not yet returned
    private long _rented;
    private long _returned;

    /// <summary>The pool the transport lends from.</summary>
    public static SnapshotChunkPayloads Shared { get; } = new();

    /// <summary>Buffers lent so far.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Buffers given back so far.</summary>
    public long Returned => Interlocked.Read(ref _returned);

    /// <summary>Gives the buffer of <paramref name="chunk"/>'s payload back, if it is one of this pool's (from <see cref="Shared"/>).</summary>
    public static void Release(in SnapshotChunk chunk) => Shared.Return(chunk.Payload);

    /// <summary>Gives back the buffer under <paramref name="payload"/>, if this pool lent it and it is still out.</summary>
    public void Return(ReadOnlyMemory<byte> payload)
    {
        if (MemoryMarshal.TryGetArray(payload, out var segment) && segment.Array is { } array && _lent.Remove(array))
        {
            Interlocked.Increment(ref _returned);
            _pool.Return(array);
        }
    }

    /// <summary>A buffer of at least <paramref name="bytes"/> (at most <see cref="ProtocolLimits.SnapshotChunkBytesMax"/>).</summary>
    internal byte[] Rent(int bytes)
    {
        Invariant.True(bytes >= 0 && bytes <= ProtocolLimits.SnapshotChunkBytesMax, bytes); // the parser bounds it
        var array = _pool.Rent(bytes);
        _lent.AddOrUpdate(array, Mark);
        Interlocked.Increment(ref _rented);
        return array;
    }
}
