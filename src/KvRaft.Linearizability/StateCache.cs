using System.Runtime.InteropServices;

namespace KvRaft.Linearizability;

/// <summary>
/// Lowe's memo: every (linearized set, model state) configuration the search has reached. A
/// configuration seen before cannot lead anywhere new, so the search prunes it. Extended to
/// unknown outcomes by dominance: operations of unknown outcome are optional, so a configuration
/// is also pruned when one with the same completed set and state but a subset of its unknown ones
/// was reached (that one can do everything this one can). Buckets by the hash of (completed set,
/// state); full equality inside a bucket.
/// </summary>
internal sealed class StateCache
{
    private readonly Dictionary<ulong, Entry> _buckets = [];

    /// <summary>How many configurations are stored.</summary>
    public int Count { get; private set; }

    /// <summary>Adds the configuration; false when it was already there.</summary>
    public bool TryAdd(LinearizedSet set, int state)
    {
        ReadOnlySpan<ulong> window = set.Window(out int low);
        ulong hash = set.Hash ^ LinearizedSet.Mix(((ulong)(uint)state << 32) ^ 0x5DEECE66DUL);
        ref Entry? head = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, hash, out _);
        for (Entry? entry = head; entry is not null; entry = entry.Next)
        {
            if (entry.Matches(window, low, set.Unknown, state))
            {
                return false;
            }
        }
        head = new Entry(window.ToArray(), low, set.Unknown.ToArray(), state, head);
        Count++;
        return true;
    }

    private sealed class Entry(ulong[] window, int low, ulong[] unknown, int state, Entry? next)
    {
        public Entry? Next { get; } = next;

        public bool Matches(ReadOnlySpan<ulong> otherWindow, int otherLow, ReadOnlySpan<ulong> otherUnknown, int otherState) =>
            state == otherState
            && low == otherLow
            && otherWindow.SequenceEqual(window)
            && IsSubset(unknown, otherUnknown);

        private static bool IsSubset(ulong[] subset, ReadOnlySpan<ulong> superset)
        {
            for (int i = 0; i < subset.Length; i++)
            {
                if ((subset[i] & ~superset[i]) != 0)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
