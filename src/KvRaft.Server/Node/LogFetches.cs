using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// A background read of log entries for follower <paramref name="To"/>'s Appends, asked for by the node and performed
/// by the host off the event loop (<see cref="IRaftLogStore.ReadStoredAsync"/>): entries from <paramref name="Lo"/>,
/// below <paramref name="HiExclusive"/>, at most <paramref name="MaxBytes"/> of payload. <paramref name="Generation"/>
/// tells a fetch from the node's current leadership from an older one (whose result is dropped).
/// </summary>
public readonly record struct LogFetch(int To, long Lo, long HiExclusive, long MaxBytes, long Generation);

/// <summary>
/// The leader's reads of log entries that are not in memory (evicted from the log store's cache), for followers being
/// caught up. The rule: the event loop never reads the log device. When a follower's Append needs such entries, the
/// storage answers "not available yet" and one fetch starts for that follower (at most one in flight per follower,
/// at most <see cref="ServerLimits.LogFetchBytesMax"/> bytes); its entries come back on the loop into that follower's
/// slot, which the next slices for it are served from until the follower moves past it.
/// </summary>
internal sealed class LogFetches
{
    private readonly long _fetchBytesMax;
    private readonly Dictionary<int, List<Entry>> _fetched = new(); // per follower: entries fetched, consecutive
    private readonly HashSet<int> _inFlight = new(); // followers with a fetch started and not handed back
    private readonly Queue<LogFetch> _toStart = new(); // asked for, not yet taken by the host (one per follower at most)
    private long _generation;

    public LogFetches(long fetchBytesMax) => _fetchBytesMax = fetchBytesMax;

    /// <summary>Fetches started and not handed back (for tests and metrics).</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>
    /// Entries [lo, hiExclusive) for <paramref name="to"/> from its fetched slot, bounded by bytes (at least one);
    /// false when the slot does not hold <paramref name="lo"/> (the slot goes then: the follower moved past it).
    /// </summary>
    public bool TryServe(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        if (!_fetched.TryGetValue(to, out var slot))
        {
            return false;
        }

        var first = slot[0].Index;
        if (lo < first || lo > slot[^1].Index)
        {
            _fetched.Remove(to);
            return false;
        }

        long bytes = 0;
        for (var i = (int)(lo - first); i < slot.Count && slot[i].Index < hiExclusive; i++)
        {
            bytes += slot[i].SizeBytes;
            if (slot[i].Index > lo && bytes > maxBytes)
            {
                break;
            }

            into.Add(slot[i]);
        }
        return true;
    }

    /// <summary>Asks for a fetch from <paramref name="lo"/> for <paramref name="to"/>, unless one is in flight.</summary>
    public void Start(int to, long lo, long hiExclusive)
    {
        if (_inFlight.Add(to))
        {
            _toStart.Enqueue(new LogFetch(to, lo, hiExclusive, _fetchBytesMax, _generation));
        }
    }

    /// <summary>The next fetch the host should start.</summary>
    public bool TryTake(out LogFetch fetch) => _toStart.TryDequeue(out fetch);

    /// <summary>
    /// A fetch ended with <paramref name="entries"/>: those from its first index on whose terms still match the log
    /// (<paramref name="log"/>) fill the follower's slot. False when the fetch belongs to an older generation.
    /// </summary>
    public bool OnFetched(in LogFetch fetch, List<LogEntry> entries, IRaftLogStore log)
    {
        if (fetch.Generation != _generation)
        {
            return false;
        }

        _inFlight.Remove(fetch.To);
        var slot = new List<Entry>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Index != fetch.Lo + slot.Count || !log.TryGetTerm(entry.Index, out var term) || term != entry.Term)
            {
                break; // compacted, cut or replaced while it was read
            }

            slot.Add(new Entry(entry.Index, entry.Term, (EntryType)entry.Type, entry.Data));
        }
        if (slot.Count > 0)
        {
            _fetched[fetch.To] = slot;
        }

        return true;
    }

    /// <summary>Leadership ended: every slot goes, and fetches in flight will be dropped when they end.</summary>
    public void Drop()
    {
        _generation++;
        _fetched.Clear();
        _inFlight.Clear();
        _toStart.Clear();
    }
}
