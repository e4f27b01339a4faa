// Goal: Gets whose values are on the state machine's device are answered a turn or two later, not by waiting on the
// event loop, with linearizable answers, under crashes of the leader; and the leader's Appends served from its log's
// memory allocate nothing. Method: the simulated cluster of production KvNodes with every second Get of every node's
// state machine twin going pending (answered at a later turn with the state as it is then), the history checked by the
// linearizability checker; allocations of the storage seam's in-cache path counted with
// GC.GetAllocatedBytesForCurrentThread.
using KvRaft.Linearizability;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Simulation;

public sealed class ColdGetNodeTests
{
    [Theory]
    [InlineData(51UL)]
    [InlineData(52UL)]
    public void GetsThatGoPending_AreAnswered_AndTheHistoryStaysLinearizable(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 6, keyCount: 3);
        foreach (var node in cluster.Nodes)
        {
            node.ColdGetEvery = 2;
        }
        for (var round = 0; round < 3; round++)
        {
            cluster.Run(150);
            var leader = cluster.Leader;
            leader?.Crash();
            cluster.Run(40);
            leader?.Start();
        }
        cluster.Run(150);
        cluster.Drain();
        cluster.CheckLinearizable();
        var gets = cluster.History.Count(o => o.Kind == OperationKind.Get && o.Status == OperationStatus.Completed);
        Assert.True(cluster.Nodes.Sum(n => n.ColdGets) > 20, $"seed {seed}: too few Gets went pending");
        Assert.True(gets > 50, $"seed {seed}: only {gets} Gets answered");
        Assert.All(cluster.Nodes, node => Assert.Equal(0, node.Node?.ColdReadsPending ?? 0));
    }

    [Fact]
    public void AppendEntriesFromTheLogsMemory_AllocateNothing()
    {
        var log = new MemoryRaftLogStore();
        for (var i = 1; i <= 64; i++)
        {
            log.Append([new LogEntry(i, 1, 0, new byte[100])], null);
        }
        var storage = new RaftStorageAdapter(log, new MemoryKvStateMachine(), new ConfigState([1, 2, 3]), fetchBytesMax: 1 << 20);
        var into = new List<Entry>(64);
        for (var i = 0; i < 100; i++)
        {
            into.Clear();
            Assert.True(storage.TryGetEntriesFor(2, 1, 65, 1 << 20, into));
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var served = 0;
        for (var i = 0; i < 10_000; i++)
        {
            into.Clear();
            served += storage.TryGetEntriesFor(2 + (i % 2), 1 + (i % 32), 65, 1 << 20, into) ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10_000, served);
        Assert.Equal(0, storage.Fetches.InFlight);
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated for 10,000 slices of entries in memory");
    }
}
