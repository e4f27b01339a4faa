// Goal: a node's fault control (node-local rules on its client port, outside the Raft log) applies, reports and logs every rule when on, refuses when off while the node keeps serving, and an isolated leader is replaced and rejoins after a heal; method: in-process KvServer nodes on 127.0.0.1 and the client's FaultControl calls.
using KvRaft.Client;
using KvRaft.Protocol;
using KvRaft.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class FaultControlTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_without_fault_control_refuses_a_rule_and_keeps_serving()
    {
        var log = new WarningRecorder();
        await using var cluster = await HostedCluster.StartAsync(1, faultControl: false, log);
        var refused = await Assert.ThrowsAsync<FaultControlException>(() => FaultControl.IsolateAsync(cluster.Endpoints[0], 1).WaitAsync(HostedCluster.Limit));
        Assert.Equal(FaultControlStatus.Disabled, refused.Status);
        Assert.Contains("fault control is disabled", refused.Message, StringComparison.Ordinal);
        Assert.Contains(log.Lines, line => line.Contains("refused fault control \"isolate node 1\"", StringComparison.Ordinal));

        await cluster.Client.PutAsync("k", "v").WaitAsync(HostedCluster.Limit);
        Assert.Equal("v", await cluster.Client.GetAsync("k").WaitAsync(HostedCluster.Limit));
    }

    [Fact]
    public async Task A_node_with_fault_control_applies_every_rule_reports_it_and_logs_it_at_warning()
    {
        var log = new WarningRecorder();
        await using var cluster = await HostedCluster.StartAsync(3, faultControl: true, log);
        string node1 = cluster.Endpoints[0];
        Assert.Equal("isolated: 3; cuts: none; drop 0%, delay up to 0 ms", await FaultControl.IsolateAsync(node1, 3).WaitAsync(HostedCluster.Limit));
        Assert.Equal("isolated: 3; cuts: 1->2; drop 0%, delay up to 0 ms", await FaultControl.CutAsync(node1, 1, 2).WaitAsync(HostedCluster.Limit));
        Assert.Equal("isolated: 3; cuts: 1->2 2->1; drop 0%, delay up to 0 ms", await FaultControl.PartitionAsync(node1, [[1], [2]]).WaitAsync(HostedCluster.Limit));
        Assert.Equal("isolated: 3; cuts: 1->2 2->1; drop 10%, delay up to 5 ms", await FaultControl.SetUnreliableAsync(node1, 10, 5).WaitAsync(HostedCluster.Limit));
        Assert.Equal("no faults", await FaultControl.HealAsync(node1).WaitAsync(HostedCluster.Limit));
        var unknown = await Assert.ThrowsAsync<FaultControlException>(() => FaultControl.IsolateAsync(node1, 9).WaitAsync(HostedCluster.Limit));
        Assert.Equal(FaultControlStatus.InvalidArgument, unknown.Status);
        Assert.Contains("node 9 is not in the cluster", unknown.Message, StringComparison.Ordinal);

        string[] changes = [.. log.Lines.Where(line => line.StartsWith("Node 1: fault control", StringComparison.Ordinal))];
        Assert.Equal(5, changes.Length);
        Assert.Contains("\"isolate node 3\"", changes[0], StringComparison.Ordinal);
        Assert.EndsWith("now no faults", changes[4], StringComparison.Ordinal);
        Assert.Contains(log.Lines, line => line.Contains("Node 1: refused fault control \"isolate node 9\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_isolated_leader_is_replaced_and_rejoins_after_a_heal()
    {
        await using var cluster = await HostedCluster.StartAsync(3, faultControl: true, NullLoggerFactory.Instance);
        int oldLeader = await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("before", "1").WaitAsync(HostedCluster.Limit);

        // Every node must learn the rule: each drops what it sends, so the others drop what goes to the isolated node.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(cluster.Endpoints.Select(endpoint => FaultControl.IsolateAsync(endpoint, oldLeader))).WaitAsync(HostedCluster.Limit);
        int newLeader = await cluster.WaitForLeaderAsync(status => status.NodeId != oldLeader);
        await cluster.Client.PutAsync("during", "2").WaitAsync(HostedCluster.Limit);
        output.WriteLine($"node {oldLeader} isolated; node {newLeader} leads and a write went through {watch.ElapsedMilliseconds} ms later");
        NodeStatus isolated = await cluster.WaitForStatusAsync(oldLeader, status => status.Role != NodeRole.Leader);
        NodeStatus leader = await cluster.WaitForStatusAsync(newLeader, _ => true);
        Assert.True(isolated.CommitIndex < leader.CommitIndex, $"the isolated node committed {isolated.CommitIndex}, the leader {leader.CommitIndex}");

        watch.Restart();
        await Task.WhenAll(cluster.Endpoints.Select(endpoint => FaultControl.HealAsync(endpoint))).WaitAsync(HostedCluster.Limit);
        await cluster.Client.PutAsync("after", "3").WaitAsync(HostedCluster.Limit);
        NodeStatus committed = await cluster.WaitForStatusAsync(newLeader, _ => true);
        await cluster.WaitForStatusAsync(oldLeader, status => status.LeaderKnown && status.AppliedIndex >= committed.CommitIndex);
        output.WriteLine($"healed; node {oldLeader} caught up {watch.ElapsedMilliseconds} ms later");
        Assert.Equal("2", await cluster.Client.GetAsync("during").WaitAsync(HostedCluster.Limit));
    }
}
