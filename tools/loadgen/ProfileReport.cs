// Goal: print the stage profile of a run, one table per window between faults, each stage against the window before it.
using System.Globalization;
using System.Text;

namespace KvRaft.Loadgen;

/// <summary>The per-window stage tables as Markdown.</summary>
public static class ProfileReport
{
    /// <summary>One table per window: per stage, requests, mean and p99, and the mean's change from the previous window.</summary>
    public static string Markdown(IReadOnlyList<ProfileWindow> windows)
    {
        var text = new StringBuilder();
        text.Append("Stage profile at the leader (from the nodes' /metrics; means exact, p99 interpolated within 2x buckets)\n");
        for (var w = 0; w < windows.Count; w++)
        {
            var window = windows[w];
            var previous = w > 0 ? windows[w - 1] : null;
            text.Append(CultureInfo.InvariantCulture, $"\n{window.FromSeconds:0.0}-{window.ToSeconds:0.0} s, {window.Label}\n\n");
            text.Append("| stage | requests | mean ms | p99 ms | mean vs previous window |\n| --- | ---: | ---: | ---: | ---: |\n");
            Rows(text, "write", window.Writes, previous?.Writes, window.ClientWrites, previous?.ClientWrites);
            Rows(text, "read", window.Reads, previous?.Reads, window.ClientReads, previous?.ClientReads);
            if (previous is not null && GrewMost(window, previous) is { } grew)
            {
                text.Append(CultureInfo.InvariantCulture, $"\ngrew most: {grew}\n");
            }
        }
        return text.ToString();
    }

    private static void Rows(StringBuilder text, string kind, IReadOnlyList<StageFigures> stages, IReadOnlyList<StageFigures>? previous, StageFigures? client, StageFigures? clientBefore)
    {
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            text.Append(CultureInfo.InvariantCulture, $"| {kind} {stage.Stage} | {stage.Count:0} | {stage.MeanMilliseconds:0.000} | {stage.P99Milliseconds:0.00} | {Change(stage, previous?[i])} |\n");
        }
        var total = stages.Sum(stage => stage.MeanMilliseconds);
        var before = previous?.Sum(stage => stage.MeanMilliseconds);
        text.Append(CultureInfo.InvariantCulture, $"| **{kind} total at the leader** | {stages[0].Count:0} | **{total:0.000}** | | {Change(total, before, previous is not null && previous[0].Count > 0)} |\n");
        if (client is null)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"| {kind} at the client (ok, end to end) | {client.Count:0} | {client.MeanMilliseconds:0.000} | {client.P99Milliseconds:0.00} | {Change(client, clientBefore)} |\n");
        // What the leader's stages do not cover: the network, the client's queue, and a fault's election and retries.
        var outside = client.MeanMilliseconds - total;
        var outsideBefore = clientBefore is null || before is null ? null : clientBefore.MeanMilliseconds - before;
        text.Append(CultureInfo.InvariantCulture, $"| {kind} outside the leader (client - leader) | | {outside:0.000} | | {Change(outside, outsideBefore, clientBefore is { Count: > 0 })} |\n");
    }

    /// <summary>The stage whose mean grew most from <paramref name="previous"/> (null when none grew).</summary>
    private static string? GrewMost(ProfileWindow window, ProfileWindow previous)
    {
        var pairs =
            window.Writes.Zip(previous.Writes, (now, before) => (Name: "write " + now.Stage, Now: now, Before: before))
                .Concat(window.Reads.Zip(previous.Reads, (now, before) => (Name: "read " + now.Stage, Now: now, Before: before)))
                .Where(pair => pair.Now.Count > 0 && pair.Before.Count > 0);
        (string Name, StageFigures Now, StageFigures Before)[] grown = [.. pairs.Where(pair => pair.Now.MeanMilliseconds > pair.Before.MeanMilliseconds)
            .OrderByDescending(pair => pair.Now.MeanMilliseconds - pair.Before.MeanMilliseconds)];
        return grown.Length == 0 ? null : $"{grown[0].Name} {Change(grown[0].Now, grown[0].Before)} ms";
    }

    private static string Change(StageFigures stage, StageFigures? previous) =>
        Change(stage.MeanMilliseconds, previous?.MeanMilliseconds, previous is { Count: > 0 } && stage.Count > 0);

    private static string Change(double now, double? before, bool comparable)
    {
        if (!comparable || before is not { } then)
        {
            return "";
        }

        var ratio = then > 0 ? string.Create(CultureInfo.InvariantCulture, $" (x{now / then:0.0})") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{now - then:+0.000;-0.000;0.000}{ratio}");
    }
}
