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

    public RaftStorageAdapter(IRaftLogStore log, IKvStateMachine machine, ConfigState initialVoters)
    {
        _log = log;
        _machine = machine;
        _initialVoters = initialVoters;
    }

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
