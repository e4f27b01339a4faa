// Goal: the stage profile's arithmetic on scrapes is right: quantiles interpolate within a bucket as Prometheus does,
// a window counts what happened between its two scrapes, a node that restarted (new start time) counts from its
// restart, a killed node's figures come from its last scrape, and the table compares each window with the one before.
// --profile is refused where there are no nodes of ours to scrape.
// Method: expositions written by hand (the format a node serves), run through MetricsText, StageProfile and ProfileReport; command lines parsed.
using System.Globalization;
using KvRaft.LocalCluster;

namespace KvRaft.Loadgen.Tests;

public sealed class StageProfileTests
{
    [Fact]
    public void A_quantile_interpolates_within_its_bucket_and_the_mean_is_exact()
    {
        var histogram = new MetricHistogram([0.001, 0.002, 0.004, double.PositiveInfinity], [50, 90, 100, 100], 0.15, 100);
        Assert.Equal(0.0015, histogram.Mean, 9);
        Assert.Equal(0.001, histogram.Quantile(0.5), 9); // rank 50: the top of the first bucket
        Assert.Equal(0.0038, histogram.Quantile(0.99), 9); // rank 99: the 9th of the third bucket's 10, 90% of the way from 2 to 4 ms
        Assert.Equal(0, MetricHistogram.Empty.Quantile(0.99));
    }

    [Fact]
    public void A_window_counts_between_its_scrapes_and_a_restarted_node_from_its_restart()
    {
        // Node 1 runs throughout; node 2 is killed after the first scrape and back (counters from 0) by the third.
        ProfileScrape[] scrapes =
        [
            Scrape(0, beforeFault: false, Node(1, 10, 0.010), Node(1, 4, 0.004)),
            Scrape(1, beforeFault: true, Node(1, 30, 0.050), null),
            Scrape(2, beforeFault: false, Node(1, 30, 0.050), Node(2, 5, 0.025)),
        ];
        var windows = StageProfile.Windows(scrapes, [new FaultEvent("kill-leader n2", 1_000_000_000)], startNanoseconds: 0);

        Assert.Equal(2, windows.Count);
        Assert.Equal("before any fault", windows[0].Label);
        Assert.Equal("after kill-leader n2", windows[1].Label);
        var first = windows[0].Writes.Single(stage => stage.Stage == "persist");
        Assert.Equal(20, first.Count); // node 1's 20 new; node 2 silent since (its last scrape is the first)
        Assert.Equal(2.0, first.MeanMilliseconds, 6); // 40 ms over 20
        var second = windows[1].Writes.Single(stage => stage.Stage == "persist");
        Assert.Equal(5, second.Count); // node 2's 5 since its restart, not 5 - 4
        Assert.Equal(5.0, second.MeanMilliseconds, 6);
        Assert.Contains("| write persist | 5 | 5.000 |", ProfileReport.Markdown(windows), StringComparison.Ordinal);
        Assert.Equal(["queue", "read_index", "apply_wait", "reply"], windows[1].Reads.Select(stage => stage.Stage)); // every read stage a node records
        Assert.Contains("outside the leader", ProfileReport.Markdown([.. windows.Select(window => window.WithClients([], 0))]), StringComparison.Ordinal);
        Assert.Contains("+3.000 (x2.5)", ProfileReport.Markdown(windows), StringComparison.Ordinal);
        Assert.Contains("grew most: write persist +3.000 (x2.5) ms", ProfileReport.Markdown(windows), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profile_runs_on_the_local_cluster_only()
    {
        Assert.Null((await LoadTargetTests.ParseAsync("--profile", "--faults", "kill-leader@5s,restart@9s", "--check")).Problem());
        Assert.Contains("local cluster", (await LoadTargetTests.ParseAsync("--profile", "--endpoints", "h:1")).Problem(), StringComparison.Ordinal);
        Assert.Contains("local cluster", (await LoadTargetTests.ParseAsync("--profile", "--target", "etcd", "--endpoints", "h:1")).Problem(), StringComparison.Ordinal);
    }

    private static ProfileScrape Scrape(int second, bool beforeFault, params NodeScrape?[] nodes) => new(second * 1_000_000_000L, beforeFault, nodes);

    /// <summary>A node started at <paramref name="startTime"/> whose persist stage saw <paramref name="count"/> writes taking <paramref name="sum"/> s.</summary>
    private static NodeScrape Node(double startTime, double count, double sum)
    {
        string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
        var text = $"""
            # TYPE kvraft_start_time_seconds gauge
            kvraft_start_time_seconds {Number(startTime)}
            # TYPE kvraft_write_stage_duration_seconds histogram
            kvraft_write_stage_duration_seconds_bucket{"{"}stage="persist",le="0.01"{"}"} {Number(count)}
            kvraft_write_stage_duration_seconds_bucket{"{"}stage="persist",le="+Inf"{"}"} {Number(count)}
            kvraft_write_stage_duration_seconds_sum{"{"}stage="persist"{"}"} {Number(sum)}
            kvraft_write_stage_duration_seconds_count{"{"}stage="persist"{"}"} {Number(count)}

            """;
        return new NodeScrape(startTime, new MetricsText(text));
    }
}
