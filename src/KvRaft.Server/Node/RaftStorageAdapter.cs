using KvRaft.Raft;
using KvRaft.Storage;
using RaftHardState = KvRaft.Raft.HardState;

namespace KvRaft.Server.Node;

/// <summary>
/// The core's read-only storage seam over the durable log store and the state machine's snapshots.
/// </summary>
internal sealed class RaftStorageAdapter : IRaftStorage
{
    private readonly IRaftLogStore _log;
    private readonly IKvStateMachine _machine;
    private readonly ConfigState _initialVoters;
    private readonly List<LogEntry> _scratch = new();

    public RaftStorageAdapter(IRaftLogStore log, IKvStateMachine machine, ConfigState initialVoters, long fetchBytesMax)
    {
        _log = log;
        _machine = machine;
        _initialVoters = initialVoters;
        Fetches = new LogFetches(fetchBytesMax);
    }

    /// <summary>The background reads of entries evicted from the log's cache, for followers' Appends.</summary>
    public LogFetches Fetches { get; }

    public ConfigState Config => ClusterMembership.Decode(_machine.Configuration) ?? _initialVoters;

    /// <summary>The hard state, and the configuration in effect at the latest snapshot's index (the core's contract).</summary>
    public (RaftHardState HardState, ConfigState Config) InitialState()
    {
        var stored = _log.HardState;
        var config = _machine.LatestSnapshot is null ? Config : Snapshot.Config;
        return (new RaftHardState(stored.Term, stored.Vote, stored.Commit), config);
    }

    public long FirstIndex => _log.FirstIndex;

    public long LastIndex => _log.LastIndex;

    public bool TryGetTerm(long index, out long term) => _log.TryGetTerm(index, out term);

    public void GetEntries(long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        _scratch.Clear();
        _log.Read(lo, hiExclusive, maxBytes, _scratch);
        Invariant.True(_scratch.Count > 0 && _scratch[0].Index == lo, (lo, _scratch.Count));
        foreach (var entry in _scratch)
        {
            into.Add(new Entry(entry.Index, entry.Term, (EntryType)entry.Type, entry.Data));
        }
    }

    /// <summary>
    /// From the follower's fetched slot, else from the log's memory; otherwise "not available yet" and a fetch starts
    /// (from <paramref name="lo"/> to the end of the log, bounded in bytes): the loop never reads the device here.
    /// </summary>
    public bool TryGetEntriesFor(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        if (Fetches.TryServe(to, lo, hiExclusive, maxBytes, into))
        {
            return true;
        }

        _scratch.Clear();
        if (!_log.TryReadCached(lo, hiExclusive, maxBytes, _scratch))
        {
            Fetches.Start(to, lo, _log.LastIndex + 1);
            return false;
        }

        Invariant.True(_scratch[0].Index == lo, (lo, _scratch[0].Index));
        foreach (var entry in _scratch)
        {
            into.Add(new Entry(entry.Index, entry.Term, (EntryType)entry.Type, entry.Data));
        }
        return true;
    }

    public SnapshotMetadata Snapshot
    {
        get
        {
            if (_machine.LatestSnapshot is not { } snapshot)
            {
                return default;
            }

            var info = snapshot.Info;
            return new SnapshotMetadata(info.Index, info.Term, ClusterMembership.Decode(info.Configuration) ?? _initialVoters);
        }
    }
}
