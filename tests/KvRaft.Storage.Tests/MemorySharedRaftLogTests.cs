// Goal: the in-memory twin of the shared log keeps the IRaftLogStore contract per group, counts one commit for every
// group's writes, and a crash keeps each group's committed log and a prefix of its later writes; method: the contract
// tests on a group view, then direct checks of commits and of many seeded crashes.
namespace KvRaft.Storage.Tests;

public sealed class MemorySharedRaftLogGroupTests : RaftLogStoreContractTests
{
    private protected override IRaftLogStore Open() => new MemorySharedRaftLog().OpenGroup(5);

    private protected override IRaftLogStore Reopen(IRaftLogStore store) => store;

    [Fact]
    public async Task One_commit_covers_the_writes_of_every_group_and_a_group_with_nothing_pending_costs_none()
    {
        var log = new MemorySharedRaftLog();
        var groups = Enumerable.Range(0, 4).Select(log.OpenGroup).ToArray();
        foreach (var group in groups)
        {
            group.Append(Small.Entries(1, 3, 1), null);
        }
        await groups[2].CommitAsync();
        Assert.Equal(1, log.CommitCount);
        await Task.WhenAll(groups.Select(group => group.CommitAsync().AsTask()));
        await log.CommitAsync();
        Assert.Equal(1, log.CommitCount);
        var reopened = log.Recover(new Random(1));
        Assert.All(reopened.Groups, id => Assert.Equal(3, reopened.OpenGroup(id).LastIndex));
    }

    [Fact]
    public async Task A_crash_keeps_every_groups_committed_log_and_a_prefix_of_its_later_writes()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var log = new MemorySharedRaftLog();
            var (a, b) = (log.OpenGroup(1), log.OpenGroup(2));
            a.Append(Small.Entries(1, 5, 1), new HardState(1, 1, 0));
            b.Append(Small.Entries(1, 5, 2), new HardState(2, 2, 0));
            await log.CommitAsync();
            a.Append(Small.Entries(6, 8, 1), null);
            b.CompactUntil(3, 2);
            b.Append(Small.Entries(6, 6, 2), null);
            var reopened = log.Recover(new Random(seed));
            var (a2, b2) = (reopened.OpenGroup(1), reopened.OpenGroup(2));
            Assert.True(a2.LastIndex is >= 5 and <= 8, $"seed {seed}: group 1 ends at {a2.LastIndex}");
            Assert.Equal(new HardState(2, 2, 0), b2.HardState);
            Assert.True(b2.LastIndex is 5 or 6, $"seed {seed}: group 2 ends at {b2.LastIndex}");
            Assert.True(b2.LastIndex == 5 || b2.FirstIndex == 4, $"seed {seed}: group 2's append kept without the compaction before it");
        }
    }
}
