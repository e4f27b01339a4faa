using System.Diagnostics.Metrics;
using System.Text;

namespace KvRaft.Server.Metrics;

/// <summary>
/// What the collector keeps of one instrument: its series, found by their labels. A measurement with labels seen
/// before allocates nothing (a scan of the few series, copy-on-write array); a new label set is added under a lock.
/// Counters of observable instruments hold the total they report; others add. An observable instrument writes only
/// the series its callbacks reported in the latest scrape (a peer that left the configuration disappears), and drops
/// the others at the next one; a recorded series goes when <see cref="Forget"/> names one of its labels.
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
    private long _poll; // observable instruments: scrapes begun; the series reported in the current one carry it

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

    /// <summary>Whether this is the state of <paramref name="instrument"/>.</summary>
    public bool Of(Instrument instrument) => ReferenceEquals(_instrument, instrument);

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
            series.Poll = _poll;
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
            if (!_instrument.IsObservable || series.Poll == _poll)
            {
                series.WriteTo(text, _instrument.Name);
            }
        }
    }

    /// <summary>Before the observable callbacks of a scrape run: series the previous scrape's callbacks did not report go.</summary>
    public void BeginPoll()
    {
        if (!_instrument.IsObservable)
        {
            return;
        }

        Remove(series => series.Poll != _poll);
        _poll++;
    }

    /// <summary>Drops the series labelled <paramref name="key"/>=<paramref name="value"/> (e.g. a peer that left the configuration).</summary>
    public void Forget(string key, string value) =>
        Remove(series => series.Tags.Any(tag => tag.Key == key && Equals(tag.Value, value)));

    private void Remove(Func<MetricSeries, bool> gone)
    {
        if (!Volatile.Read(ref _series).Any(gone))
        {
            return; // the usual case: nothing allocated
        }

        lock (_adding)
        {
            Volatile.Write(ref _series, [.. _series.Where(series => !gone(series))]);
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
