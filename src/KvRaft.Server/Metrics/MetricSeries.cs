using System.Globalization;
using System.Text;

namespace KvRaft.Server.Metrics;

/// <summary>
/// One labelled series of an instrument: a running value (counter, gauge) or histogram buckets. Written by any
/// thread without a lock (interlocked updates), read by the scrape: a scrape sees each number atomically, the set
/// not as one snapshot (as Prometheus clients do).
/// </summary>
internal sealed class MetricSeries
{
    private readonly double[]? _bounds; // histogram upper bounds, ascending; null for a counter or gauge
    private readonly long[]? _buckets; // per bucket (not cumulative); the last one is +Inf
    private double _value; // counter or gauge value; histogram sum
    private long _count; // histogram observations

    public MetricSeries(KeyValuePair<string, object?>[] tags, double[]? bounds)
    {
        Tags = tags;
        _bounds = bounds;
        _buckets = bounds is null ? null : new long[bounds.Length + 1];
    }

    /// <summary>Observable instruments: the scrape whose callbacks last reported this series (InstrumentState's poll count).</summary>
    public long Poll { get; set; }

    /// <summary>The labels, as first measured (tag values are our own constant strings).</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>True when this series has exactly these labels.</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != Tags.Length)
        {
            return false;
        }

        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, Tags[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, Tags[i].Value))
            {
                return false;
            }
        }
        return true;
    }

    public void Add(double value) => AtomicAdd(ref _value, value);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Observe(double value)
    {
        var bucket = Array.BinarySearch(_bounds!, value);
        if (bucket < 0)
        {
            bucket = ~bucket; // the first bound at or above the value (le semantics); past the last: +Inf
        }

        Interlocked.Increment(ref _buckets![bucket]);
        AtomicAdd(ref _value, value);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Appends this series' exposition lines for metric <paramref name="name"/>.</summary>
    public void WriteTo(StringBuilder text, string name)
    {
        if (_buckets is null)
        {
            WriteSample(text, name, "", null, Volatile.Read(ref _value));
            return;
        }
        long cumulative = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            var bound = i < _bounds!.Length ? Format(_bounds[i]) : "+Inf";
            WriteSample(text, name, "_bucket", bound, cumulative);
        }
        WriteSample(text, name, "_sum", null, Volatile.Read(ref _value));
        WriteSample(text, name, "_count", null, cumulative);
    }

    private void WriteSample(StringBuilder text, string name, string suffix, string? bound, double value)
    {
        text.Append(name).Append(suffix);
        if (Tags.Length > 0 || bound is not null)
        {
            text.Append('{');
            for (var i = 0; i < Tags.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                AppendLabel(text, Tags[i].Key, Convert.ToString(Tags[i].Value, CultureInfo.InvariantCulture) ?? "");
            }
            if (bound is not null)
            {
                if (Tags.Length > 0)
                {
                    text.Append(',');
                }

                AppendLabel(text, "le", bound);
            }
            text.Append('}');
        }
        text.Append(' ').Append(Format(value)).Append('\n');
    }

    private static void AppendLabel(StringBuilder text, string key, string value)
    {
        text.Append(key).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
        text.Append('"');
    }

    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString(CultureInfo.InvariantCulture);

    private static void AtomicAdd(ref double target, double value)
    {
        var seen = Volatile.Read(ref target);
        while (true)
        {
            var found = Interlocked.CompareExchange(ref target, seen + value, seen);
            if (found.Equals(seen))
            {
                return;
            }

            seen = found;
        }
    }
}
