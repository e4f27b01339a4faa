// Goal: keep a client's operation records without ever copying them while the load runs.
using System.Collections;

namespace KvRaft.Loadgen;

/// <summary>
/// An append-only list in fixed chunks: growing it never copies what it holds (a doubling list
/// copied up to millions of records, with GC write barriers, in the middle of a measured run).
/// </summary>
public sealed class RecordLog<T> : IReadOnlyCollection<T>
{
    private const int ChunkLength = 16 * 1024;
    private readonly List<T[]> _chunks = [];
    private int _lastCount = ChunkLength;

    /// <inheritdoc/>
    public int Count => _chunks.Count == 0 ? 0 : ((_chunks.Count - 1) * ChunkLength) + _lastCount;

    /// <summary>Appends <paramref name="item"/>.</summary>
    public void Add(in T item)
    {
        if (_lastCount == ChunkLength)
        {
            _chunks.Add(new T[ChunkLength]);
            _lastCount = 0;
        }
        _chunks[^1][_lastCount++] = item;
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (var chunk = 0; chunk < _chunks.Count; chunk++)
        {
            var length = chunk == _chunks.Count - 1 ? _lastCount : ChunkLength;
            for (var i = 0; i < length; i++)
            {
                yield return _chunks[chunk][i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
