// Goal: keep a client's operation records without ever copying them while the load runs.
using System.Collections;

namespace KvRaft.Loadgen;

/// <summary>
/// An append-only list in chunks: growing it never copies what it holds (a doubling list copied up to millions of
/// records, with GC write barriers, in the middle of a measured run). The chunks double from
/// <see cref="FirstChunkLength"/> to <see cref="ChunkLengthMax"/>: hundreds of clients with a few thousand records each
/// (a warm-up, a short run) do not each start with a chunk of the largest size (256 of them were 168 MB of records).
/// </summary>
public sealed class RecordLog<T> : IReadOnlyCollection<T>
{
    internal const int FirstChunkLength = 256;
    internal const int ChunkLengthMax = 16 * 1024;
    private readonly List<T[]> _chunks = [];
    private int _lastCount;
    private int _count;

    /// <inheritdoc/>
    public int Count => _count;

    /// <summary>Appends <paramref name="item"/>.</summary>
    public void Add(in T item)
    {
        if (_chunks.Count == 0 || _lastCount == _chunks[^1].Length)
        {
            _chunks.Add(new T[_chunks.Count == 0 ? FirstChunkLength : Math.Min(2 * _chunks[^1].Length, ChunkLengthMax)]);
            _lastCount = 0;
        }
        _chunks[^1][_lastCount++] = item;
        _count++;
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (var chunk = 0; chunk < _chunks.Count; chunk++)
        {
            var length = chunk == _chunks.Count - 1 ? _lastCount : _chunks[chunk].Length;
            for (var i = 0; i < length; i++)
            {
                yield return _chunks[chunk][i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
