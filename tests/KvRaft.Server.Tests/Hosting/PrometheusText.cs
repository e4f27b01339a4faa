// Goal: read the Prometheus text exposition of a node in tests; method: GET over HttpClient, each sample line parsed into name, labels and value (comments skipped), lines that do not parse refused.
using System.Globalization;

namespace KvRaft.Server.Tests.Hosting;

/// <summary>The samples of one scrape, by metric name and labels.</summary>
internal sealed class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public PrometheusText(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            string series = line[..space];
            double value = line[(space + 1)..] == "+Inf" ? double.PositiveInfinity : double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            int brace = series.IndexOf('{', StringComparison.Ordinal);
            var labels = new Dictionary<string, string>();
            if (brace >= 0)
            {
                foreach (string pair in series[(brace + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] parts = pair.Split('=', 2);
                    labels[parts[0]] = parts[1].Trim('"');
                }
            }
            _samples.Add((brace >= 0 ? series[..brace] : series, labels, value));
        }
    }

    public static async Task<PrometheusText> ScrapeAsync(HttpClient http, string endpoint) =>
        new(await http.GetStringAsync($"http://{endpoint}/metrics"));

    /// <summary>Names of every sample.</summary>
    public IEnumerable<string> Names => _samples.Select(sample => sample.Name).Distinct();

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/> ("key=value").</summary>
    public double Sum(string name, params string[] labels) =>
        _samples.Where(sample => sample.Name == name && labels.All(label => sample.Labels.TryGetValue(label.Split('=')[0], out string? value) && value == label.Split('=')[1]))
            .Sum(sample => sample.Value);
}
