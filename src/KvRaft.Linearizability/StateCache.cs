using System.Runtime.InteropServices;

namespace KvRaft.Linearizability;

/// <summary>
/// Lowe's memo: every (linearized set, model state) configuration the search has reached. A
/// configuration seen before cannot lead anywhere new, so the search prunes it. Extended to
/// unknown outcomes by dominance: operations of unknown outcome are optional, so a configuration
/// is also pruned when one with the same completed set and state but a subset of its unknown ones
/// was reached (that one can do everything this one can). Buckets by the hash of (completed set,
/// state); full equality inside a bucket. Entries live in flat arrays, so the garbage collector
/// does not trace millions of objects.
/// </summary>
internal sealed class StateCache
{
    private const int None = -1;
    private readonly Dictionary<ulong, int> _heads = [];
    private Entry[] _entries = new Entry[1024];
    private ulong[] _words = new ulong[4096];
    private int _wordCount;

    /// <summary>How many configurations are stored.</summary>
    public int Count { get; private set; }

    /// <summary>Adds the configuration; false when it (or one dominating it) was already there.</summary>
    public bool TryAdd(LinearizedSet set, int state)
    {
        var window = set.Window(out var low);
        var unknown = set.Unknown;
        var hash = set.Hash ^ LinearizedSet.Mix(((ulong)(uint)state << 32) ^ 0x5DEECE66DUL);
        ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(_heads, hash, out var exists);
        for (var entry = exists ? head : None; entry != None; entry = _entries[entry].Next)
        {
            if (Matches(_entries[entry], window, low, unknown, state))
            {
                return false;
            }
        }
        head = Store(window, low, unknown, state, exists ? head : None);
        return true;
    }

    private bool Matches(in Entry entry, ReadOnlySpan<ulong> window, int low, ReadOnlySpan<ulong> unknown, int state) =>
        entry.State == state
        && entry.Low == low
        && window.SequenceEqual(_words.AsSpan(entry.Start, entry.WindowLength))
        && IsSubset(_words.AsSpan(entry.Start + entry.WindowLength, unknown.Length), unknown);

    private int Store(ReadOnlySpan<ulong> window, int low, ReadOnlySpan<ulong> unknown, int state, int next)
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, 2 * _entries.Length);
        }
        var needed = _wordCount + window.Length + unknown.Length;
        if (needed > _words.Length)
        {
            Array.Resize(ref _words, Math.Max(needed, 2 * _words.Length));
        }
        window.CopyTo(_words.AsSpan(_wordCount));
        unknown.CopyTo(_words.AsSpan(_wordCount + window.Length));
        _entries[Count] = new Entry(state, low, _wordCount, window.Length, next);
        _wordCount = needed;
        return Count++;
    }

    private static bool IsSubset(ReadOnlySpan<ulong> subset, ReadOnlySpan<ulong> superset)
    {
        for (var i = 0; i < subset.Length; i++)
        {
            if ((subset[i] & ~superset[i]) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One configuration: its words (window, then unknown bits) live in the shared arena; no object per entry.</summary>
    private readonly record struct Entry(int State, int Low, int Start, int WindowLength, int Next);
}
