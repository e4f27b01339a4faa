// Goal: a node with much to catch up stays responsive, and a restarted follower can catch up from the log: a turn applies
// no further Ready once its applies reached ServerLimits.AppliedBytesPerTurnMax (so less than twice that, one entry always), the rest waiting for the next turn
// (KvNode.ApplyDeferred tells the host to run one at once), and a snapshot keeps about CompactionLagBytes of log behind
// it. Method: a one-node KvNode over the in-memory twins writes entries of a known size, then a node restarted on its log
// with an empty state machine applies them turn by turn (the bytes of each turn counted), and a snapshot's compaction
// point is compared with the log's average entry size.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

public sealed class CatchUpBudgetTests
{
    private const int ValueBytes = 1_000;
    private const int Puts = 64;

    [Fact]
    public void A_restarted_node_applies_its_committed_log_in_slices_of_the_turn_budget_not_in_one_turn()
    {
        var written = WriteEntries(new ServerLimits());
        var last = written.Log.LastIndex;
        const long budget = 8 << 10;
        var machine = new MemoryKvStateMachine();
        var restarted = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
            Voters = [1],
            Seed = 2,
            Limits = new ServerLimits { AppliedBytesPerTurnMax = budget },
        }, written.Log, machine, new NoPeers(), new NoClients(), NullLogger.Instance);

        var turns = 0;
        var deferredTurns = 0;
        while (machine.AppliedIndex < last)
        {
            Assert.True(++turns < 1_000, $"applied {machine.AppliedIndex} of {last} after {turns} turns");
            var before = machine.AppliedIndex;
            restarted.OnTick();
            SingleNode.TurnWithoutTick(restarted, written.Log);
            var applied = new List<LogEntry>();
            written.Log.Read(before + 1, machine.AppliedIndex + 1, long.MaxValue, applied);
            var appliedBytes = applied.Sum(entry => (long)entry.Data.Length);
            // The last Ready taken brings at most one budget's worth (the core's bound per Ready), one entry always.
            Assert.True(appliedBytes <= 2 * budget + ValueBytes, $"turn {turns} applied {appliedBytes} bytes, over twice the budget of {budget} and one entry");
            if (restarted.ApplyDeferred)
            {
                deferredTurns++;
                Assert.True(machine.AppliedIndex < last, "a turn that deferred a Ready left entries to apply");
            }
        }

        Assert.True(deferredTurns >= Puts * ValueBytes / (2 * budget) - 1, $"{deferredTurns} turns deferred applies: the log of {Puts * ValueBytes} bytes was applied in {turns} turns");
        Assert.Equal(written.Machine.AppliedIndex, machine.AppliedIndex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16 << 10)]
    [InlineData(1 << 30)]
    public async Task A_snapshot_keeps_about_CompactionLagBytes_of_log_behind_it(long lagBytes)
    {
        var node = WriteEntries(new ServerLimits { SnapshotAfterLogBytes = 1, CompactionLagEntries = 0, CompactionLagBytes = lagBytes });
        var entries = node.Log.LastIndex - node.Log.FirstIndex + 1;
        var averageEntryBytes = node.Log.BytesSinceCompaction / entries;
        Assert.True(node.Node.TryStartSnapshot(out var configuration));
        var snapshot = await node.Machine.TakeSnapshotAsync(configuration);
        node.Node.OnSnapshotTaken(snapshot);

        var keptBehind = snapshot.Index - (node.Log.FirstIndex - 1);
        var expected = Math.Min(snapshot.Index, lagBytes / averageEntryBytes);
        Assert.Equal(expected, keptBehind);
        if (lagBytes > 0 && expected < snapshot.Index)
        {
            Assert.InRange(keptBehind * averageEntryBytes, lagBytes - averageEntryBytes, lagBytes);
        }
    }

    // A one-node cluster with Puts entries of about ValueBytes each (one put per turn: one entry each).
    private static SingleNode WriteEntries(ServerLimits limits)
    {
        var node = new SingleNode(limits);
        var session = node.Register();
        for (var sequence = 1; sequence <= Puts; sequence++)
        {
            var response = node.Call(new ClientRequest
            {
                Op = ClientOp.Put,
                ClientId = session,
                Sequence = (ulong)sequence,
                Key = new[] { (byte)sequence },
                Value = new byte[ValueBytes],
            });
            Assert.Equal(ClientStatus.Ok, response.Status);
        }
        return node;
    }

    private sealed class NoClients : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) { }

        public void Flush() { }
    }
}
