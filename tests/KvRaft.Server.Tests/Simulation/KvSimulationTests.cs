// Goal: the production node code (KvNode over the storage twins) serves a linearizable, exactly-once KV service under faults; method: deterministic seeded cluster simulation, histories checked by the project's linearizability checker.
using System.Text;
using KvRaft.Linearizability;
using KvRaft.Raft;

namespace KvRaft.Server.Tests.Simulation;

public sealed class KvSimulationTests
{
    [Theory]
    [InlineData(1UL, 3)]
    [InlineData(2UL, 5)]
    public void ReliableCluster_ServesALinearizableHistory(ulong seed, int nodes)
    {
        using var cluster = new KvSimCluster(seed, nodes, clientCount: 6, keyCount: 4);
        cluster.Run(800);
        cluster.Drain();
        var result = cluster.CheckLinearizable();
        Assert.True(cluster.History.Count(o => o.Status == OperationStatus.Completed) > 300, $"seed {seed}: only {cluster.History.Count} operations");
        Assert.True(result.OperationCount > 0);
    }

    [Theory]
    [InlineData(10UL)]
    [InlineData(11UL)]
    [InlineData(12UL)]
    public void LeaderCrashesAndRestarts_HistoryStaysLinearizable(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 5, keyCount: 3);
        for (var round = 0; round < 6; round++)
        {
            cluster.Run(120);
            var leader = cluster.Leader;
            leader?.Crash();
            cluster.Run(60);
            leader?.Start();
        }
        cluster.Run(200);
        cluster.Drain();
        cluster.CheckLinearizable();
        Assert.True(cluster.History.Count(o => o.Status == OperationStatus.Completed) > 100, $"seed {seed}: too little progress");
    }

    [Theory]
    [InlineData(13UL)]
    [InlineData(14UL)]
    [InlineData(15UL)]
    public void AnyNodeCrashes_LosingItsUnsyncedCommitIndex_HistoryStaysLinearizable(ulong seed)
    {
        // A crash loses the hard state appended since the last commit (a commit index the node did not wait for).
        using var cluster = new KvSimCluster(seed, seed % 2 == 0 ? 3 : 5, clientCount: 5, keyCount: 3);
        for (var round = 0; round < 8; round++)
        {
            cluster.Run(40 + cluster.Random.Next(80));
            var victim = cluster.Nodes.ElementAt(cluster.Random.Next(cluster.Nodes.Count()));
            victim.Crash();
            cluster.Run(cluster.Random.Next(60));
            victim.Start();
        }
        cluster.Run(200);
        cluster.Drain();
        cluster.CheckLinearizable();
        Assert.True(cluster.History.Count(o => o.Status == OperationStatus.Completed) > 50, $"seed {seed}: too little progress");
    }

    [Theory]
    [InlineData(20UL)]
    [InlineData(21UL)]
    public void PartitionedLeader_NeverCompletesARequest_AndTheMajorityMovesOn(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 5, clientCount: 6, keyCount: 3);
        cluster.Run(150);
        var leader = cluster.Leader ?? throw new InvalidOperationException($"seed {seed}: no leader");
        var appliedBefore = leader.AppliedIndex;
        var rest = cluster.Nodes.Where(n => n != leader).Select(n => n.Id).ToArray();
        cluster.Network.Partition(new[] { leader.Id }, rest);
        cluster.Run(300);
        Assert.Equal(appliedBefore, leader.AppliedIndex); // nothing can commit on the minority side
        Assert.True(cluster.Nodes.Where(n => n != leader).Max(n => n.AppliedIndex) > appliedBefore + 10, $"seed {seed}: majority made no progress");
        cluster.Network.Heal();
        cluster.Run(200);
        cluster.Drain();
        cluster.CheckLinearizable();
    }

    [Theory]
    [InlineData(30UL)]
    [InlineData(31UL)]
    public void UnreliableNetworkWithManyPartitions_HistoryStaysLinearizable(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 5, clientCount: 6, keyCount: 3);
        cluster.Network.DropProbability = 0.1;
        cluster.Network.DelayTicksMax = 4;
        for (var round = 0; round < 8; round++)
        {
            var side = cluster.Nodes.Where(_ => cluster.Random.Chance(0.5)).Select(n => n.Id).ToArray();
            cluster.Network.Partition(side, cluster.Nodes.Select(n => n.Id).Except(side));
            cluster.Run(80);
            cluster.Network.Heal();
            cluster.Run(40);
        }
        cluster.Network.DropProbability = 0;
        cluster.Run(200);
        cluster.Drain();
        cluster.CheckLinearizable();
    }

    [Theory]
    [InlineData(80UL)]
    [InlineData(81UL)]
    [InlineData(82UL)]
    public void LeaderPausedUnderAPartition_WithLeaseReads_ServesNoStaleReadAfterResuming(ulong seed)
    {
        // The paused leader's host gets every tick it missed on resuming: its lease has run out, so the reads that
        // waited and those that follow need a heartbeat round, which cannot complete while it is cut off. (With
        // the missed ticks dropped, it served them from its old lease: stale reads.)
        using var cluster = new KvSimCluster(seed, 3, clientCount: 8, keyCount: 2, leaseReads: true);
        for (var round = 0; round < 4; round++)
        {
            cluster.Run(60);
            if (cluster.Leader is not { } leader)
            {
                continue;
            }

            var others = cluster.Nodes.Where(n => n != leader).Select(n => n.Id).ToArray();
            cluster.Network.Partition(new[] { leader.Id }, others);
            leader.Pause();
            cluster.Run(40 + cluster.Random.Next(20)); // the others elect a leader; clients fail over to it and write
            cluster.Network.Partition(new[] { 0 }, others); // clients now reach only the paused old leader
            cluster.Run(60); // they fail over to it: their requests wait in its paused host
            leader.Resume();
            cluster.Run(20);
            cluster.Network.Heal();
        }
        cluster.Run(100);
        cluster.Drain();
        cluster.CheckLinearizable();
        Assert.True(cluster.History.Count(o => o.Status == OperationStatus.Completed) > 100, $"seed {seed}: too little progress");
    }

    [Fact]
    public void EveryNodeRestarted_DataSurvivesAndServiceResumes()
    {
        using var cluster = new KvSimCluster(40, 3, clientCount: 4, keyCount: 3);
        cluster.Run(300);
        foreach (var node in cluster.Nodes)
        {
            node.Crash();
        }

        cluster.Run(20);
        foreach (var node in cluster.Nodes)
        {
            node.Start();
        }

        var before = cluster.History.Count;
        cluster.Run(400);
        cluster.Drain();
        cluster.CheckLinearizable();
        Assert.True(cluster.History.Count > before + 50, "no progress after restarting every node");
    }

    [Fact]
    public void LaggingNodeBehindCompaction_CatchesUpThroughASnapshot()
    {
        using var cluster = new KvSimCluster(50, 3, clientCount: 6, keyCount: 20);
        cluster.Run(100);
        var lagging = cluster.Nodes.First(n => n != cluster.Leader);
        lagging.Crash();
        var laggingApplied = lagging.AppliedIndex;
        cluster.Run(1500); // snapshots every few KB of log and compaction leave the lagging node behind
        var leader = cluster.Leader ?? throw new InvalidOperationException("no leader");
        Assert.True(leader.Node!.RaftStatus.FirstIndex > laggingApplied + 1, "the leader's log was not compacted past the lagging node");
        lagging.Start();
        cluster.Run(300, load: false);
        cluster.Drain();
        Assert.Equal(leader.AppliedIndex, lagging.AppliedIndex);
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(leader.Read("k" + k), lagging.Read("k" + k));
        }

        cluster.CheckLinearizable();
    }

    [Fact]
    public void ALogWhoseKeptLagExceedsTheSnapshotThreshold_IsSnapshottedOncePerThresholdOfGrowth_NotOverAndOver()
    {
        // Compaction keeps far more than the threshold (entries batch many writes): before the fix, every
        // snapshot was followed at once by another, for ever.
        var limits = new KvRaft.Server.Node.ServerLimits { SnapshotAfterLogBytes = 4 << 10, CompactionLagEntries = 1_000_000, RequestTimeoutTicks = 100 };
        using var cluster = new KvSimCluster(70, 3, clientCount: 6, keyCount: 5, limits);
        cluster.Run(600);
        foreach (var node in cluster.Nodes.Where(n => n.IsUp))
        {
            var taken = node.Node!.Statistics.SnapshotsTaken;
            var threshold = KvRaft.Storage.SnapshotPolicy.Staggered(limits.SnapshotAfterLogBytes, node.Id); // each replica's own
            var bound = node.LogBytesSinceCompaction / threshold + 1; // nothing was compacted
            Assert.True(taken >= 1, $"seed 70: node {node.Id} took no snapshot of {node.LogBytesSinceCompaction} bytes");
            Assert.True(taken <= bound, $"seed 70: node {node.Id} took {taken} snapshots of {node.LogBytesSinceCompaction} log bytes (at most {bound})");
        }
        cluster.Drain();
        cluster.CheckLinearizable();
    }

    [Fact]
    public void ConcurrentAppendsToOneKey_EachAppearsExactlyOnce_UnderLossAndLeaderChange()
    {
        using var cluster = new KvSimCluster(60, 3, clientCount: 6, keyCount: 1);
        cluster.Network.DropProbability = 0.05;
        cluster.Run(300);
        cluster.Leader?.Crash();
        cluster.Run(300);
        cluster.Network.DropProbability = 0;
        foreach (var node in cluster.Nodes.Where(n => !n.IsUp))
        {
            node.Start();
        }

        cluster.Drain();
        cluster.Run(100, load: false);
        var final = Encoding.UTF8.GetString(cluster.Leader!.Read("k0") ?? Array.Empty<byte>());
        foreach (var append in cluster.History.Where(o => o.Kind == OperationKind.Append && o.Status == OperationStatus.Completed))
        {
            var count = CountOccurrences(final, append.Value!);
            Assert.True(count <= 1, $"{append.Value} appears {count} times");
        }
        cluster.CheckLinearizable();
    }

    [Fact]
    public void TwentySeedsWithRandomFaults_StayLinearizable()
    {
        for (ulong seed = 100; seed < 120; seed++)
        {
            using var cluster = new KvSimCluster(seed, seed % 2 == 0 ? 3 : 5, clientCount: 5, keyCount: 3);
            cluster.Network.DropProbability = cluster.Random.NextDouble() * 0.1;
            cluster.Run(400, everyTick: c =>
            {
                if (c.Random.Chance(0.01))
                {
                    c.Leader?.Crash();
                }

                foreach (var node in c.Nodes.Where(n => !n.IsUp))
                {
                    if (c.Random.Chance(0.05))
                    {
                        node.Start();
                    }
                }
            });
            foreach (var node in cluster.Nodes.Where(n => !n.IsUp))
            {
                node.Start();
            }

            cluster.Network.DropProbability = 0;
            cluster.Run(100);
            cluster.Drain();
            cluster.CheckLinearizable();
        }
    }

    private static int CountOccurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
