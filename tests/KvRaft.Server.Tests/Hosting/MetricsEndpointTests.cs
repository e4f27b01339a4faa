// Goal: a node started with --metrics-listen serves the metrics docs/metrics.md lists; its counters move with writes; its per-peer series follow membership changes (a joined node's appear, a removed node's disappear); the stage profiles of its writes and reads add up to their end-to-end time; /health and /ready answer as documented; method: in-process 3-node clusters on 127.0.0.1 (HostedCluster), GET /metrics parsed as Prometheus text before and after sequential writes and around a join and a removal, /ready polled while a majority stops.
using System.Net;
using KvRaft.LocalCluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class MetricsEndpointTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Writes = 20;

    private static readonly string[] Listed =
    [
        "kvraft_role", "kvraft_term", "kvraft_has_leader", "kvraft_leader_changes_total", "kvraft_commit_index", "kvraft_applied_index",
        "kvraft_proposals_committed_total", "kvraft_proposals_failed_total", "kvraft_proposals_pending",
        "kvraft_log_write_duration_seconds_bucket", "kvraft_apply_duration_seconds_count", "kvraft_client_request_duration_seconds_count",
        "kvraft_write_stage_duration_seconds_sum", "kvraft_peer_round_trip_seconds_count", "kvraft_peer_sent_bytes_total",
        "kvraft_peer_received_messages_total", "kvraft_client_connections", "kvraft_sessions_live", "kvraft_event_queue_depth",
    ];

    [Fact]
    public async Task Committed_proposal_counters_move_with_writes()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, metrics: true);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("warm", "up").WaitAsync(HostedCluster.Limit); // the session is registered
        var before = await MetricsText.ScrapeAsync(http, cluster.MetricsEndpoints[leader - 1]);
        for (var i = 0; i < Writes; i++)
        {
            await cluster.Client.PutAsync("k" + i, "v").WaitAsync(HostedCluster.Limit);
        }

        var after = await MetricsText.ScrapeAsync(http, cluster.MetricsEndpoints[leader - 1]);

        foreach (var name in Listed)
        {
            Assert.Contains(name, after.Names);
        }

        Assert.Equal(1, after.Sum("kvraft_role", "role=leader"));
        var committed = after.Sum("kvraft_proposals_committed_total") - before.Sum("kvraft_proposals_committed_total");
        var puts = after.Sum("kvraft_client_request_duration_seconds_count", "op=put", "result=ok") - before.Sum("kvraft_client_request_duration_seconds_count", "op=put", "result=ok");
        var commitIndex = after.Sum("kvraft_commit_index") - before.Sum("kvraft_commit_index");
        output.WriteLine($"after {Writes} sequential puts: {committed} proposals committed, {puts} puts answered ok, commit index +{commitIndex}");
        Assert.Equal(Writes, puts);
        Assert.InRange(committed, 1, Writes); // one proposal per turn's batch: sequential puts each make one
        Assert.True(commitIndex >= committed, $"commit index moved {commitIndex}, fewer than the {committed} proposals");
        Assert.True(after.Sum("kvraft_log_write_duration_seconds_count") > before.Sum("kvraft_log_write_duration_seconds_count"));
    }

    [Fact]
    public async Task Per_peer_series_appear_for_a_joined_node_and_disappear_with_its_removal()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, metrics: true);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        string[] perPeer = ["kvraft_peer_connected", "kvraft_peer_sent_bytes_total", "kvraft_peer_round_trip_seconds_count"];

        await cluster.JoinAsync(4);
        await WaitForMetricsAsync(http, cluster.MetricsEndpoints[leader - 1], metrics => perPeer.All(name => metrics.Matching(name, "peer=4").Any())
            && metrics.Sum("kvraft_peer_connected", "peer=4") == 1);

        await cluster.Client.RemoveMemberAsync(4).WaitAsync(HostedCluster.Limit);
        var after = await WaitForMetricsAsync(http, cluster.MetricsEndpoints[leader - 1], metrics => perPeer.All(name => !metrics.Matching(name, "peer=4").Any()));
        Assert.Equal(2, after.Matching("kvraft_peer_connected").Count()); // the two others, still there
    }

    private static async Task<MetricsText> WaitForMetricsAsync(HttpClient http, string endpoint, Func<MetricsText, bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostedCluster.Limit);
        while (true)
        {
            var metrics = await MetricsText.ScrapeAsync(http, endpoint, deadline.Token);
            if (condition(metrics))
            {
                return metrics;
            }

            await Task.Delay(20, deadline.Token); // polling the exposition: no event to wait on
        }
    }

    [Fact]
    public async Task Write_and_read_stages_add_up_to_the_end_to_end_time_of_the_same_requests()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, metrics: true);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        for (var i = 0; i < Writes; i++)
        {
            await cluster.Client.PutAsync("k" + i, "v").WaitAsync(HostedCluster.Limit);
        }

        for (var i = 0; i < Writes; i++)
        {
            await cluster.Client.GetAsync("k" + i).WaitAsync(HostedCluster.Limit);
        }

        var metrics = await MetricsText.ScrapeAsync(http, cluster.MetricsEndpoints[leader - 1]);

        // Every write answered ok here went through every stage (puts and the session's registration; nothing failed).
        (var writeStages, var writeEndToEnd) = StagesAndEndToEnd(metrics, "kvraft_write_stage_duration_seconds",
            ["queue", "persist", "replicate", "commit", "apply", "reply"], ["op=put", "op=register_session"], mayBeZero: ["replicate"]); // a quorum may come before the local write
        // Every read found its key; the leader applies as it commits, so a read may wait for no apply.
        (var readStages, var readEndToEnd) = StagesAndEndToEnd(metrics, "kvraft_read_stage_duration_seconds",
            ["queue", "read_index", "apply_wait", "reply"], ["op=get"], mayBeZero: ["apply_wait"]);
        output.WriteLine($"log writes: {metrics.Sum("kvraft_log_write_duration_seconds_sum") / metrics.Sum("kvraft_log_write_duration_seconds_count") * 1e6:F1} µs mean over {metrics.Sum("kvraft_log_write_duration_seconds_count")}");
        // The stages end at the answers' flush as the node sees it, the end-to-end figure a clock read later in the
        // same flush: they agree within far less than one loop tick (10 ms); 1 ms allows for a descheduled thread.
        Assert.InRange(writeEndToEnd - writeStages, -1e-3, 1e-3);
        Assert.InRange(readEndToEnd - readStages, -1e-3, 1e-3);
    }

    /// <summary>
    /// The sum of the mean time of each stage of <paramref name="metric"/> and the mean end-to-end time of the requests
    /// of <paramref name="ops"/> answered ok, checking that every stage counted exactly those requests.
    /// </summary>
    private (double Stages, double EndToEnd) StagesAndEndToEnd(MetricsText metrics, string metric, string[] stages, string[] ops, string[] mayBeZero)
    {
        var requests = ops.Sum(op => metrics.Sum("kvraft_client_request_duration_seconds_count", op, "result=ok"));
        var endToEnd = ops.Sum(op => metrics.Sum("kvraft_client_request_duration_seconds_sum", op, "result=ok")) / requests;
        Assert.True(requests >= Writes, $"{requests} requests of {string.Join(", ", ops)} answered ok");
        double stageSum = 0;
        foreach (var stage in stages)
        {
            var count = metrics.Sum(metric + "_count", "stage=" + stage);
            Assert.Equal(requests, count); // each stage counts the same requests
            var mean = metrics.Sum(metric + "_sum", "stage=" + stage) / count;
            output.WriteLine($"{metric} {stage,-10} {mean * 1e6,10:F1} µs");
            stageSum += mean;
            if (!mayBeZero.Contains(stage))
            {
                Assert.True(mean > 0, $"stage {stage} took no time: its mark was never taken");
            }
        }
        output.WriteLine($"{metric}: stages {stageSum * 1e6:F0} µs, end to end {endToEnd * 1e6:F0} µs over {requests} requests");
        return (stageSum, endToEnd);
    }

    [Fact]
    public async Task Health_and_ready_answer_until_the_cluster_loses_its_majority()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, metrics: true);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await cluster.WaitForLeaderAsync(_ => true);
        foreach (var endpoint in cluster.MetricsEndpoints)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://{endpoint}/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, await WaitForReadyAsync(http, endpoint, HttpStatusCode.OK));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://{cluster.MetricsEndpoints[0]}/other")).StatusCode);

        await cluster.StopNodeAsync(2);
        await cluster.StopNodeAsync(3);
        var survivor = cluster.MetricsEndpoints[0];
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://{survivor}/health")).StatusCode); // up, storage open
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await WaitForReadyAsync(http, survivor, HttpStatusCode.ServiceUnavailable)); // no leader once the election timeout passes
        output.WriteLine(await (await http.GetAsync($"http://{survivor}/ready")).Content.ReadAsStringAsync());
    }

    /// <summary>Polls /ready until it answers <paramref name="wanted"/> or the limit passes; returns the last answer.</summary>
    private static async Task<HttpStatusCode> WaitForReadyAsync(HttpClient http, string endpoint, HttpStatusCode wanted)
    {
        using var deadline = new CancellationTokenSource(HostedCluster.Limit);
        while (true)
        {
            var status = (await http.GetAsync($"http://{endpoint}/ready", deadline.Token)).StatusCode;
            if (status == wanted || deadline.IsCancellationRequested)
            {
                return status;
            }

            await Task.Delay(20, deadline.Token); // polling node state: no event to wait on
        }
    }
}
