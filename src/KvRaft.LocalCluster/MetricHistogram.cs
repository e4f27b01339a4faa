namespace KvRaft.LocalCluster;

/// <summary>
/// A Prometheus histogram as scraped: cumulative counts at ascending upper bounds (the last +Inf), the sum and the
/// count of the observations. Two scrapes of one node subtract into the observations made between them.
/// </summary>
public sealed record MetricHistogram(IReadOnlyList<double> UpperBounds, IReadOnlyList<double> Cumulative, double Sum, double Count)
{
    /// <summary>No observations.</summary>
    public static MetricHistogram Empty { get; } = new([], [], 0, 0);

    /// <summary>The mean observation (0 when none).</summary>
    public double Mean => Count > 0 ? Sum / Count : 0;

    /// <summary>
    /// The observations made since <paramref name="earlier"/>, a scrape of the same node. A count that went down
    /// means the node restarted (its counters start again from 0): then everything here is new.
    /// </summary>
    public MetricHistogram Since(MetricHistogram earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (earlier.Count == 0 || Count < earlier.Count || !UpperBounds.SequenceEqual(earlier.UpperBounds))
        {
            return this;
        }

        return new MetricHistogram(UpperBounds, [.. Cumulative.Select((count, i) => count - earlier.Cumulative[i])], Sum - earlier.Sum, Count - earlier.Count);
    }

    /// <summary>This histogram and <paramref name="other"/> (of the same bounds, or either empty) as one.</summary>
    public MetricHistogram Plus(MetricHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.UpperBounds.Count == 0)
        {
            return this;
        }

        if (UpperBounds.Count == 0)
        {
            return other;
        }

        if (!UpperBounds.SequenceEqual(other.UpperBounds))
        {
            throw new ArgumentException("histograms with different buckets");
        }

        return new MetricHistogram(UpperBounds, [.. Cumulative.Select((count, i) => count + other.Cumulative[i])], Sum + other.Sum, Count + other.Count);
    }

    /// <summary>
    /// The <paramref name="quantile"/> (0..1) interpolated linearly within its bucket, as Prometheus's
    /// histogram_quantile does (the +Inf bucket answers its lower bound); 0 when there are no observations.
    /// </summary>
    public double Quantile(double quantile)
    {
        if (Count <= 0)
        {
            return 0;
        }

        var rank = quantile * Count;
        for (var i = 0; i < UpperBounds.Count; i++)
        {
            if (Cumulative[i] < rank)
            {
                continue;
            }

            var lower = i == 0 ? 0 : UpperBounds[i - 1];
            if (double.IsPositiveInfinity(UpperBounds[i]))
            {
                return lower;
            }

            var below = i == 0 ? 0 : Cumulative[i - 1];
            var inBucket = Cumulative[i] - below;
            return inBucket <= 0 ? UpperBounds[i] : lower + ((UpperBounds[i] - lower) * (rank - below) / inBucket);
        }
        return UpperBounds.Count > 1 ? UpperBounds[^2] : 0;
    }
}
