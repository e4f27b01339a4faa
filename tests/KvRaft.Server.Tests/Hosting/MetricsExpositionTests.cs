// Goal: the collector writes what System.Diagnostics.Metrics instruments measured as valid Prometheus text: counters
// add, observable gauges report their current value, histograms cumulate their buckets with the bounds the instrument
// advises, labels are quoted and escaped, and a collector sees only its own meter (several nodes in one process); an
// observable series its callback no longer reports, and a forgotten series, are no longer written.
// Method: instruments on fresh meters, recorded by hand, the scrape parsed back with MetricsText.
using System.Diagnostics.Metrics;
using KvRaft.LocalCluster;
using KvRaft.Server.Metrics;

namespace KvRaft.Server.Tests.Hosting;

public sealed class MetricsExpositionTests
{
    [Fact]
    public void Counters_gauges_and_histograms_are_written_as_Prometheus_text()
    {
        using var meter = new Meter("test");
        using var other = new Meter("test"); // same name, another node: not collected
        using var collector = new MetricsCollector(meter);
        var requests = meter.CreateCounter<long>("requests_total", null, "Requests");
        var durations = meter.CreateHistogram("duration_seconds", "s", "Durations", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01] });
        long depth = 7;
        meter.CreateObservableGauge("depth", () => depth, null, "Depth");
        other.CreateCounter<long>("requests_total").Add(100);

        requests.Add(2, new KeyValuePair<string, object?>("op", "put"));
        requests.Add(3, new KeyValuePair<string, object?>("op", "put"));
        requests.Add(1, new KeyValuePair<string, object?>("op", "say \"hi\"\\"));
        foreach (var seconds in new[] { 0.0005, 0.005, 0.005, 2.0 })
        {
            durations.Record(seconds);
        }

        depth = 9;
        var text = collector.Scrape();
        var metrics = new MetricsText(text);

        Assert.Contains("# TYPE requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Equal(5, metrics.Sum("requests_total", "op=put"));
        Assert.Contains("requests_total{op=\"say \\\"hi\\\"\\\\\"} 1", text, StringComparison.Ordinal);
        Assert.Equal(9, metrics.Sum("depth"));
        var histogram = metrics.Histogram("duration_seconds");
        Assert.Equal([0.001, 0.01, double.PositiveInfinity], histogram.UpperBounds);
        Assert.Equal([1.0, 3.0, 4.0], histogram.Cumulative);
        Assert.Equal(4, histogram.Count);
        Assert.Equal(2.0105, histogram.Sum, 9);
    }

    [Fact]
    public void Series_an_observable_callback_stops_reporting_and_forgotten_series_are_no_longer_written()
    {
        using var meter = new Meter("test");
        using var collector = new MetricsCollector(meter);
        int[] peers = [2, 3];
        meter.CreateObservableGauge("peer_connected", () => peers.Select(peer => new Measurement<long>(1, new KeyValuePair<string, object?>("peer", peer.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        var roundTrip = meter.CreateHistogram<double>("round_trip_seconds");
        roundTrip.Record(0.001, new KeyValuePair<string, object?>("peer", "2"));
        roundTrip.Record(0.001, new KeyValuePair<string, object?>("peer", "4"));
        Assert.Equal(2, new MetricsText(collector.Scrape()).Sum("peer_connected"));

        peers = [3, 4]; // 2 left the configuration, 4 joined
        collector.Forget(roundTrip, "peer", "2");
        var metrics = new MetricsText(collector.Scrape());

        Assert.Equal(["3", "4"], metrics.Matching("peer_connected").Select(sample => sample.Labels["peer"]).Order());
        Assert.Empty(metrics.Matching("round_trip_seconds_count", "peer=2"));
        Assert.Equal(1, metrics.Sum("round_trip_seconds_count", "peer=4"));
        peers = [];
        Assert.Empty(new MetricsText(collector.Scrape()).Matching("peer_connected"));
    }
}
