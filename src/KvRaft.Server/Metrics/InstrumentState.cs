using System.Diagnostics.Metrics;
using System.Text;

namespace KvRaft.Server.Metrics;

/// <summary>
/// What the collector keeps of one instrument: its series, found by their labels. A measurement with labels seen
/// before allocates nothing (a scan of the few series, copy-on-write array); a new label set is added under a lock.
/// Counters of observable instruments hold the total they report; others add.
/// </summary>
internal sealed class InstrumentState
{
    /// <summary>Series per instrument at most: labels come from our own code (ops, results, stages, peers), this is a guard.</summary>
    private const int SeriesMax = 256;

    private readonly Instrument _instrument;
    private readonly string _type;
    private readonly double[]? _bounds;
    private readonly object _adding = new();
    private MetricSeries[] _series = [];

    public InstrumentState(Instrument instrument)
    {
        _instrument = instrument;
        _bounds = instrument switch
        {
            Histogram<double> histogram => histogram.Advice?.HistogramBucketBoundaries?.ToArray() ?? MetricBuckets.Seconds,
            Histogram<long> histogram => histogram.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? MetricBuckets.Bytes,
            _ => null,
        };
        _type = _bounds is not null ? "histogram"
            : instrument is Counter<long> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> ? "counter"
            : "gauge";
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (_bounds is not null)
        {
            series.Observe(value);
        }
        else if (_instrument.IsObservable)
        {
            series.Set(value);
        }
        else
        {
            series.Add(value);
        }
    }

    /// <summary>Appends the instrument's HELP, TYPE and samples in the Prometheus text format (version 0.0.4).</summary>
    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP ").Append(_instrument.Name).Append(' ').Append(_instrument.Description).Append('\n');
        text.Append("# TYPE ").Append(_instrument.Name).Append(' ').Append(_type).Append('\n');
        foreach (var series in Volatile.Read(ref _series))
        {
            series.WriteTo(text, _instrument.Name);
        }
    }

    private MetricSeries Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var series in Volatile.Read(ref _series))
        {
            if (series.Matches(tags))
            {
                return series;
            }
        }
        lock (_adding)
        {
            foreach (var series in _series)
            {
                if (series.Matches(tags))
                {
                    return series;
                }
            }
            if (_series.Length >= SeriesMax)
            {
                return _series[^1]; // never reached with our own labels; bounded all the same
            }

            var added = new MetricSeries(tags.ToArray(), _bounds);
            Volatile.Write(ref _series, [.. _series, added]);
            return added;
        }
    }
}

/// <summary>Histogram bucket bounds.</summary>
internal static class MetricBuckets
{
    /// <summary>Durations: 25 µs to 13 s by factors of 2 (a p99 read from them is within a factor of 2; interpolated, much closer).</summary>
    public static readonly double[] Seconds = Enumerable.Range(0, 20).Select(i => 25e-6 * Math.Pow(2, i)).ToArray();

    /// <summary>Sizes: 1 KiB to 16 GiB by factors of 4.</summary>
    public static readonly double[] Bytes = Enumerable.Range(0, 13).Select(i => 1024.0 * Math.Pow(4, i)).ToArray();
}
