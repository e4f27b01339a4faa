// Goal: a group's view of the shared log keeps the whole IRaftLogStore contract, with another group writing beside it;
// method: the contract tests run on group 7 of a SharedRaftLog whose group 3 receives a mirror of every write (other
// terms and payloads), so every record of the view lies between records of another group; each reopen checks the mirror too.
namespace KvRaft.Storage.Tests;

public sealed class SharedRaftLogGroupTests : RaftLogStoreContractTests
{
    private protected override IRaftLogStore Open() => new MirroredGroup(SharedRaftLog.Open(_dir.Sub("shared"), Small.Limits));

    private protected override IRaftLogStore Reopen(IRaftLogStore store)
    {
        store.Dispose();
        return Open();
    }
}

/// <summary>
/// Group 7 of a shared log, every write mirrored into group 3 (terms + 1000, payloads reversed); owns the shared log.
/// Opening checks that group 3 mirrors group 7 (the two were recovered from one scan without mixing).
/// </summary>
internal sealed class MirroredGroup : IRaftLogStore
{
    private const long TermShift = 1000;
    private readonly SharedRaftLog _log;
    private readonly SharedLogGroup _group;
    private readonly SharedLogGroup _mirror;

    public MirroredGroup(SharedRaftLog log)
    {
        _log = log;
        _group = log.Open(7);
        _mirror = log.Open(3);
        CheckMirror();
    }

    public static LogEntry Mirrored(LogEntry entry) =>
        entry with { Term = entry.Term + TermShift, Data = entry.Data.ToArray().Reverse().ToArray() };

    private void CheckMirror()
    {
        Assert.Equal((_group.FirstIndex, _group.LastIndex), (_mirror.FirstIndex, _mirror.LastIndex));
        Assert.Equal(_group.HardState, _mirror.HardState with { Term = _mirror.HardState.Term - (_mirror.HardState == default ? 0 : TermShift) });
        if (_group.LastIndex < _group.FirstIndex)
        {
            return;
        }
        var (entries, mirrored) = (new List<LogEntry>(), new List<LogEntry>());
        _group.Read(_group.FirstIndex, _group.LastIndex + 1, long.MaxValue, entries);
        _mirror.Read(_mirror.FirstIndex, _mirror.LastIndex + 1, long.MaxValue, mirrored);
        Assert.Equal(entries.Count, mirrored.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            Small.AssertEntry(Mirrored(entries[i]), mirrored[i]);
        }
    }

    public long FirstIndex => _group.FirstIndex;

    public long LastIndex => _group.LastIndex;

    public HardState HardState => _group.HardState;

    public long BytesSinceCompaction => _group.BytesSinceCompaction;

    public bool TryGetTerm(long index, out long term) => _group.TryGetTerm(index, out term);

    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) => _group.Read(lo, hiExclusive, maxBytes, into);

    public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) => _group.TryReadCached(lo, hiExclusive, maxBytes, into);

    public ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default) =>
        _group.ReadStoredAsync(lo, hiExclusive, maxBytes, into, cancellationToken);

    public void Append(ReadOnlySpan<LogEntry> entries, HardState? hardState)
    {
        _group.Append(entries, hardState);
        var mirrored = entries.ToArray().Select(Mirrored).ToArray();
        _mirror.Append(mirrored, hardState is { } state ? state with { Term = state.Term + TermShift } : null);
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        await _group.CommitAsync(cancellationToken);
        await _mirror.CommitAsync(cancellationToken);
    }

    public void CompactUntil(long index, long term)
    {
        _group.CompactUntil(index, term);
        _mirror.CompactUntil(index, term + TermShift);
    }

    public void ResetAfter(long index, long term)
    {
        _group.ResetAfter(index, term);
        _mirror.ResetAfter(index, term + TermShift);
    }

    public void Dispose() => _log.Dispose();
}
