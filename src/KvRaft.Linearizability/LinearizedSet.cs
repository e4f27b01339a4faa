namespace KvRaft.Linearizability;

/// <summary>
/// The set of operations linearized so far, as a bitset with an incremental (Zobrist) hash.
/// Operations are numbered so that completed ones come first, by return time: every completed
/// operation below the first gap is linearized, so a snapshot keeps only the words from the first
/// gap to the last set bit (a window about as wide as the concurrency), plus the few unknown ones.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _completed;
    private readonly ulong[] _unknown;
    private readonly int _completedCount;
    private int _lowHint;
    private int _highHint = -1;

    public LinearizedSet(int completedCount, int unknownCount)
    {
        _completedCount = completedCount;
        _completed = new ulong[(completedCount + 63) / 64];
        _unknown = new ulong[(unknownCount + 63) / 64];
    }

    /// <summary>The Zobrist hash of the completed operations in the set (unknown ones left out: see <see cref="StateCache"/>).</summary>
    public ulong Hash { get; private set; }

    /// <summary>How many completed operations are in the set.</summary>
    public int CompletedLinearized { get; private set; }

    public void Add(int operation)
    {
        if (operation >= _completedCount)
        {
            _unknown[(operation - _completedCount) >> 6] |= 1UL << (operation - _completedCount);
            return;
        }
        Hash ^= Mix((ulong)operation);
        _completed[operation >> 6] |= 1UL << operation;
        _highHint = Math.Max(_highHint, operation >> 6);
        CompletedLinearized++;
    }

    public void Remove(int operation)
    {
        if (operation >= _completedCount)
        {
            _unknown[(operation - _completedCount) >> 6] &= ~(1UL << (operation - _completedCount));
            return;
        }
        Hash ^= Mix((ulong)operation);
        _completed[operation >> 6] &= ~(1UL << operation);
        _lowHint = Math.Min(_lowHint, operation >> 6);
        CompletedLinearized--;
    }

    /// <summary>The canonical window of completed words: from the first not-full word to the last non-empty one.</summary>
    public ReadOnlySpan<ulong> Window(out int low)
    {
        while (_lowHint < _completed.Length && _completed[_lowHint] == ulong.MaxValue)
        {
            _lowHint++;
        }
        while (_highHint >= 0 && _completed[_highHint] == 0)
        {
            _highHint--;
        }
        low = _lowHint;
        return _highHint < low ? [] : _completed.AsSpan(low, _highHint - low + 1);
    }

    /// <summary>The bits of the unknown-outcome operations.</summary>
    public ReadOnlySpan<ulong> Unknown => _unknown;

    /// <summary>SplitMix64's finalizer: a well-spread 64-bit value per input.</summary>
    public static ulong Mix(ulong value)
    {
        var z = value + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
