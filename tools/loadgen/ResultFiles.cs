// Goal: the run's results as JSON and as a Markdown table.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvRaft.Loadgen;

/// <summary>Writes a <see cref="RunSummary"/> as JSON or Markdown.</summary>
public static class ResultFiles
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The summary and the workload as indented JSON.</summary>
    public static string Json(RunSummary summary, LoadSettings settings) => JsonSerializer.Serialize(new
    {
        workload = new
        {
            settings.Clients,
            durationSeconds = settings.Duration.TotalSeconds,
            settings.Operations,
            mix = settings.Mix.ToString(),
            settings.Keys,
            distribution = settings.Distribution.ToString().ToLowerInvariant(),
            settings.ValueSize,
            settings.RatePerSecond,
            settings.Seed,
        },
        results = summary,
    }, JsonOptions);

    /// <summary>A Markdown table of the figures, then one of the faults and one of the faults on the wall clock.</summary>
    public static string Markdown(RunSummary summary)
    {
        var text = new StringBuilder();
        var latency = summary.Latency;
        text.AppendLine("| throughput (ops/s) | operations | ok | failed | unknown | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        text.AppendLine(Row(summary.ThroughputPerSecond.ToString("0", CultureInfo.InvariantCulture), summary.Operations, summary.Succeeded,
            summary.Failed, summary.Unknown, F(latency.P50Milliseconds), F(latency.P90Milliseconds), F(latency.P99Milliseconds),
            F(latency.P999Milliseconds), F(latency.MaxMilliseconds)));
        if (summary.ErrorsByKind.Count > 0)
        {
            text.AppendLine().AppendLine("| error | count |").AppendLine("|---|---:|");
            foreach ((var kind, var count) in summary.ErrorsByKind)
            {
                text.AppendLine(Row(kind, count));
            }
        }
        if (summary.Faults.Count > 0)
        {
            text.AppendLine().AppendLine("| fault | at (s) | unavailable (ms) | p50 before (ms) | p99 before (ms) | p50 after (ms) | p99 after (ms) | longest write gap in 2 s after (ms) |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var fault in summary.Faults)
            {
                text.AppendLine(Row(fault.Label, F(fault.AtSeconds), fault.UnavailableMilliseconds is { } ms ? F(ms) : "no write after",
                    F(fault.Before.P50Milliseconds), F(fault.Before.P99Milliseconds), F(fault.After.P50Milliseconds), F(fault.After.P99Milliseconds),
                    F(fault.LongestWriteGapMilliseconds)));
            }
            FaultTimelines(text, summary.Faults);
        }
        return text.ToString();
    }

    /// <summary>
    /// The faults on the wall clock, in local time as the nodes' log lines are, to join with them (a table whose rows
    /// start with the time, so that a grep for a fault's name finds the first table only).
    /// </summary>
    private static void FaultTimelines(StringBuilder text, IReadOnlyList<FaultImpact> faults)
    {
        if (faults.All(fault => fault.Timeline is null))
        {
            return;
        }

        text.AppendLine().AppendLine("| at (local time, as the nodes log) | fault | taken effect (ms) | last write before (ms) | first write after: called (ms) | returned (ms) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var fault in faults)
        {
            if (fault.Timeline is { } timeline)
            {
                text.AppendLine(Row(timeline.AtUtc.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture), fault.Label,
                    F(timeline.TakenEffectMilliseconds), F(timeline.LastWriteBeforeMilliseconds),
                    F(timeline.FirstWriteCalledMilliseconds), F(timeline.FirstWriteReturnedMilliseconds)));
            }
        }
    }

    private static string F(double? value) => value is { } known ? F(known) : "-";

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Row(params object[] cells) => "| " + string.Join(" | ", cells) + " |";
}
