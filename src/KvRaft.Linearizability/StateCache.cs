using System.Runtime.InteropServices;

namespace KvRaft.Linearizability;

/// <summary>
/// Lowe's memo: every (linearized set, model state) configuration the search has reached. A
/// configuration seen before cannot lead anywhere new, so the search prunes it. Buckets by hash;
/// full equality inside a bucket.
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
            && otherUnknown.SequenceEqual(unknown);
    }
}
