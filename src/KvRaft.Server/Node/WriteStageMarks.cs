namespace KvRaft.Server.Node;

/// <summary>When a leader's proposal reached each stage (host timestamps; 0: not seen).</summary>
internal struct WriteMarks
{
    public long Index;
    public long Proposed;
    public long Persisted;
    public long Acknowledged;
}

/// <summary>
/// The stage timestamps of the leader's proposals in flight, in index order (a leader proposes in increasing index
/// order). Two watermarks move through them, durable here and acknowledged by a quorum: each stamps every proposal
/// up to it once, so the cost is one clock read per watermark move, not per proposal. Bounded: when full the oldest
/// marks are dropped (their proposal is then not profiled).
/// </summary>
internal sealed class WriteStageMarks
{
    private const int Capacity = 1024;
    private readonly WriteMarks[] _ring = new WriteMarks[Capacity];
    private int _head;
    private int _count;
    private int _persisted; // the first _persisted marks from the head carry Persisted
    private int _acknowledged; // the first _acknowledged marks from the head carry Acknowledged

    /// <summary>The index of the first proposal not yet durable here (long.MaxValue: none).</summary>
    public long NextUnpersisted => _persisted < _count ? At(_persisted).Index : long.MaxValue;

    /// <summary>The index of the first proposal not yet acknowledged by a quorum (long.MaxValue: none).</summary>
    public long NextUnacknowledged => _acknowledged < _count ? At(_acknowledged).Index : long.MaxValue;

    public void Add(long index, long proposed)
    {
        if (_count == Capacity)
        {
            Drop();
        }

        ref var marks = ref At(_count);
        marks = new WriteMarks { Index = index, Proposed = proposed };
        _count++;
    }

    public void Persisted(long upTo, long now)
    {
        while (_persisted < _count && At(_persisted).Index <= upTo)
        {
            At(_persisted++).Persisted = now;
        }
    }

    public void Acknowledged(long upTo, long now)
    {
        while (_acknowledged < _count && At(_acknowledged).Index <= upTo)
        {
            At(_acknowledged++).Acknowledged = now;
        }
    }

    /// <summary>Takes the marks of the proposal at <paramref name="index"/>, dropping older ones (failed or expired proposals).</summary>
    public bool TryTake(long index, out WriteMarks marks)
    {
        while (_count > 0 && At(0).Index < index)
        {
            Drop();
        }

        if (_count > 0 && At(0).Index == index)
        {
            marks = At(0);
            Drop();
            return true;
        }
        marks = default;
        return false;
    }

    public void Clear() => (_head, _count, _persisted, _acknowledged) = (0, 0, 0, 0);

    private void Drop()
    {
        _head = (_head + 1) % Capacity;
        _count--;
        _persisted = Math.Max(0, _persisted - 1);
        _acknowledged = Math.Max(0, _acknowledged - 1);
    }

    private ref WriteMarks At(int offset) => ref _ring[(_head + offset) % Capacity];
}
