using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// Log entries evicted from the log store's cache are read off the event loop: a follower being caught up never
/// holds up the loop (its heartbeats, the other followers' Appends, clients). See <see cref="LogFetches"/>.
/// </summary>
public sealed partial class KvNode
{
    /// <summary>
    /// The next background log read the node asks for, if any (at most one per follower in flight): the host performs
    /// it off the loop with <see cref="IRaftLogStore.ReadStoredAsync"/> and hands the entries to <see cref="OnLogFetched"/>.
    /// </summary>
    public bool TryTakeLogFetch(out LogFetch fetch) => _storage.Fetches.TryTake(out fetch);

    /// <summary>Background log reads started and not yet handed back.</summary>
    public int LogFetchesInFlight => _storage.Fetches.InFlight;

    /// <summary>
    /// A background log read ended with <paramref name="entries"/> (the caller's list; the node keeps copies of the
    /// entries, not the list): they serve the follower's next Appends, which are sent now.
    /// </summary>
    public void OnLogFetched(in LogFetch fetch, List<LogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!_storage.Fetches.OnFetched(fetch, entries, _log))
        {
            return; // leadership changed since it started
        }

        _raft.OnEntriesFetched(fetch.To);
        AfterInput();
    }
}
