using System.Globalization;

namespace KvRaft.LocalCluster;

/// <summary>One sample of a Prometheus text exposition: name, labels and value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// The samples of one scrape of a node's /metrics (the Prometheus text format as KvRaft writes it: one sample a line,
/// label values without commas), for tests and tools. A line that does not parse is refused with a clear error.
/// </summary>
public sealed class MetricsText
{
    private readonly List<MetricSample> _samples = [];

    /// <summary>Parses <paramref name="text"/>.</summary>
    public MetricsText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            _samples.Add(ParseLine(line));
        }
    }

    /// <summary>Every sample, in the order of the exposition.</summary>
    public IReadOnlyList<MetricSample> Samples => _samples;

    /// <summary>Names of every sample.</summary>
    public IEnumerable<string> Names => _samples.Select(sample => sample.Name).Distinct();

    /// <summary>GET http://<paramref name="endpoint"/>/metrics, parsed.</summary>
    public static async Task<MetricsText> ScrapeAsync(HttpClient http, string endpoint, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        return new MetricsText(await http.GetStringAsync(new Uri($"http://{endpoint}/metrics"), cancellation).ConfigureAwait(false));
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every "key=value" of <paramref name="labels"/>.</summary>
    public double Sum(string name, params string[] labels) => Matching(name, labels).Sum(sample => sample.Value);

    /// <summary>The samples named <paramref name="name"/> whose labels include every "key=value" of <paramref name="labels"/>.</summary>
    public IEnumerable<MetricSample> Matching(string name, params string[] labels) =>
        _samples.Where(sample => sample.Name == name && labels.All(label => Has(sample, label)));

    /// <summary>
    /// The histogram <paramref name="name"/> (its _bucket, _sum and _count samples) over every series whose labels
    /// include <paramref name="labels"/>, added up bucket by bucket.
    /// </summary>
    public MetricHistogram Histogram(string name, params string[] labels)
    {
        SortedDictionary<double, double> buckets = [];
        foreach (var sample in Matching(name + "_bucket", labels))
        {
            if (!sample.Labels.TryGetValue("le", out var bound))
            {
                throw new FormatException($"{name}_bucket without le");
            }

            var upper = bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture);
            buckets[upper] = buckets.GetValueOrDefault(upper) + sample.Value;
        }
        return new MetricHistogram([.. buckets.Keys], [.. buckets.Values], Sum(name + "_sum", labels), Sum(name + "_count", labels));
    }

    private static bool Has(MetricSample sample, string label)
    {
        var equals = label.IndexOf('=', StringComparison.Ordinal);
        return sample.Labels.TryGetValue(label[..equals], out var value) && value == label[(equals + 1)..];
    }

    private static MetricSample ParseLine(string line)
    {
        var space = line.LastIndexOf(' ');
        if (space <= 0)
        {
            throw new FormatException($"not a sample line: \"{line}\"");
        }

        var valueText = line[(space + 1)..];
        var value = valueText switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new FormatException($"not a number in \"{line}\""),
        };
        var series = line[..space];
        var brace = series.IndexOf('{', StringComparison.Ordinal);
        var labels = new Dictionary<string, string>();
        if (brace < 0)
        {
            return new MetricSample(series, labels, value);
        }

        if (series[^1] != '}')
        {
            throw new FormatException($"unclosed labels in \"{line}\"");
        }

        foreach (var pair in series[(brace + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || parts[1].Length < 2 || parts[1][0] != '"' || parts[1][^1] != '"')
            {
                throw new FormatException($"bad label \"{pair}\" in \"{line}\"");
            }

            labels[parts[0]] = parts[1][1..^1];
        }
        return new MetricSample(series[..brace], labels, value);
    }
}
