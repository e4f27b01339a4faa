// Goal: valid-but-hostile input never stops a node (issue 13): an attacker who reaches the peer port and knows the
// cluster id (an insider, or a cluster without peer TLS) forges hellos, poisoned terms, commit indexes beyond the
// log, Appends, responses, transfer votes and snapshot-chunk floods and bombs at every node, and floods the client
// port with 2,000 connections, slowloris connections and malformed frames; afterwards every node still runs, the
// cluster elects a sane leader, serves writes, and the data written before is intact. Method: a real 3-node
// cluster in this process (FASTER storage, DotNetty transports) on 127.0.0.1; raw sockets and the project's own
// codecs for the attacks (HostilePeer, HostileClients).
using KvRaft.Client;
using KvRaft.Protocol;
using KvRaft.Server.Tests.Cluster;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Hostile;

[Collection(nameof(RealClusterCollection))]
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private const int KeysBefore = 50;

    [Fact]
    public Task Forged_peer_input_and_client_floods_leave_every_node_running_and_the_data_intact() =>
        Scenario.RunAsync(output, seed: 131, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            var leader = await cluster.WaitForLeaderAsync();
            await using var client = scenario.NewClient();
            for (var i = 0; i < KeysBefore; i++)
            {
                await client.PutAsync($"before-{i}", $"value-{i}");
            }

            var term = (await cluster.StatusAsync(leader))!.Value.Term;

            foreach (var target in cluster.Ids)
            {
                foreach (var impostor in cluster.Ids.Where(id => id != target).Append(99))
                {
                    var attacker = new HostilePeer(cluster.PeerListen(target), ScenarioCluster.ClusterIdOfTests, impostor, target, term);
                    await attacker.RunAllAsync();
                    output.WriteLine($"node {target} as {impostor}: {attacker.Sent} attacks, {attacker.Refused} connections refused or reset");
                }
            }
            var opened = await HostileClients.HoldConnectionsAsync(cluster.Endpoint(leader), 2_000, async () =>
                await HostileClients.SlowlorisAsync(cluster.Endpoint(leader), 200, () => HostileClients.SendMalformedAsync(cluster.Endpoint(leader))));
            output.WriteLine($"2,000 client connections tried, {opened} opened");

            foreach (var id in cluster.Ids)
            {
                Assert.False(cluster.Server(id).Stopped.IsCompleted, $"seed {scenario.Seed}: node {id} stopped under hostile input");
            }
            var after = await cluster.WaitForLeaderAsync();
            var status = (await cluster.StatusAsync(after))!.Value;
            Assert.True(status.Term < term + 1_000, $"seed {scenario.Seed}: term {status.Term} after the attacks (was {term}): a forged term was adopted");
            await using var fresh = scenario.NewClient();
            await fresh.PutAsync("after", "ok");
            Assert.Equal("ok", await fresh.GetAsync("after"));
            for (var i = 0; i < KeysBefore; i++)
            {
                Assert.Equal($"value-{i}", await fresh.GetAsync($"before-{i}"));
            }
        });
}
