// Goal: the collector writes what System.Diagnostics.Metrics instruments measured as valid Prometheus text: counters
// add, observable gauges report their current value, histograms cumulate their buckets with the bounds the instrument
// advises, labels are quoted and escaped, and a collector sees only its own meter (several nodes in one process).
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
}
