// Goal: a node restarts from what its host stored; an applied index above the stored commit index counts as committed; method: a RaftNode built over prepared MemoryStorage.
namespace KvRaft.Raft.Tests;

public sealed class RestartTests
{
    private static MemoryStorage StorageWithFiveEntries(long commit)
    {
        var storage = new MemoryStorage(new[] { 1, 2, 3 });
        storage.Append(Enumerable.Range(1, 5).Select(i => new Entry(i, 1, EntryType.Normal, new byte[] { (byte)i })).ToList());
        storage.SetHardState(new HardState(1, 0, commit));
        return storage;
    }

    [Fact]
    public void AppliedAboveTheStoredCommit_IsTakenAsCommitted_AndNotHandedOutAgain()
    {
        var node = new RaftNode(new RaftConfig { Id = 1, Storage = StorageWithFiveEntries(commit: 2), Random = new Prng(1), Applied = 4 });
        Assert.Equal(4, node.Committed);
        Assert.Equal(4, node.Status.Applied);
        var ready = node.GetReady();
        Assert.Empty(ready.CommittedEntries);
        Assert.True(ready.HardStateChanged); // the commit index moves up and is written again
        Assert.Equal(4, ready.HardState.Commit);
    }

    [Fact]
    public void WithoutAnAppliedIndex_CommittedEntriesAreHandedOutAgain()
    {
        var node = new RaftNode(new RaftConfig { Id = 1, Storage = StorageWithFiveEntries(commit: 3), Random = new Prng(1) });
        var ready = node.GetReady();
        Assert.Equal(new long[] { 1, 2, 3 }, ready.CommittedEntries.Select(e => e.Index));
    }

    [Fact]
    public void AppliedBeyondTheStoredLog_IsRefused()
    {
        Assert.Throws<InvariantException>(() =>
            new RaftNode(new RaftConfig { Id = 1, Storage = StorageWithFiveEntries(commit: 2), Random = new Prng(1), Applied = 6 }));
    }
}
