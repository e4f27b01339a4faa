namespace KvRaft.Raft;

/// <summary>
/// The Appends in flight to one follower: a ring of (last index, bytes), bounded in count and bytes.
/// An acknowledgement of index i frees every Append whose last index is ≤ i.
/// </summary>
internal sealed class Inflights
{
    private readonly long[] _lastIndexes;
    private readonly long[] _bytes;
    private readonly long _bytesMax;
    private int _start;

    public Inflights(int countMax, long bytesMax)
    {
        _lastIndexes = new long[countMax];
        _bytes = new long[countMax];
        _bytesMax = bytesMax;
    }

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public bool Full => Count == _lastIndexes.Length || Bytes >= _bytesMax;

    public void Add(long lastIndex, long bytes)
    {
        Invariant.True(!Full);
        var slot = (_start + Count) % _lastIndexes.Length;
        if (Count > 0)
        {
            Invariant.True(lastIndex >= _lastIndexes[(slot + _lastIndexes.Length - 1) % _lastIndexes.Length]);
        }

        _lastIndexes[slot] = lastIndex;
        _bytes[slot] = bytes;
        Count++;
        Bytes += bytes;
    }

    public void FreeLessOrEqual(long index)
    {
        while (Count > 0 && _lastIndexes[_start] <= index)
        {
            Bytes -= _bytes[_start];
            _start = (_start + 1) % _lastIndexes.Length;
            Count--;
        }
        if (Count == 0)
        {
            _start = 0;
        }
    }

    /// <summary>Frees the oldest slot (a heartbeat answered while the window was full: something was lost).</summary>
    public void FreeFirstOne()
    {
        if (Count > 0)
        {
            FreeLessOrEqual(_lastIndexes[_start]);
        }
    }

    public void Reset()
    {
        Count = 0;
        Bytes = 0;
        _start = 0;
    }
}
