// Goal: a PNG of throughput and p99 over time, with every fault marked by a labelled vertical line.
using ScottPlot;

namespace KvRaft.Loadgen;

/// <summary>Draws the timeline of a run.</summary>
public static class Chart
{
    /// <summary>Saves the chart of <paramref name="summary"/> to <paramref name="path"/> (its folder created if missing).</summary>
    public static void Save(RunSummary summary, string path)
    {
        var plot = Build(summary);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        plot.SavePng(path, 1200, 600);
    }

    /// <summary>The chart of <paramref name="summary"/>.</summary>
    public static Plot Build(RunSummary summary)
    {
        var plot = new Plot();
        double[] seconds = [.. summary.Timeline.Select(point => point.StartSeconds)];
        var throughput = plot.Add.Scatter(seconds, summary.Timeline.Select(point => point.OperationsPerSecond).ToArray());
        throughput.LegendText = "throughput (ops/s)";
        throughput.MarkerSize = 0;
        var p99 = plot.Add.Scatter(seconds, summary.Timeline.Select(point => point.P99Milliseconds).ToArray());
        p99.LegendText = "p99 (ms)";
        p99.MarkerSize = 0;
        p99.Axes.YAxis = plot.Axes.Right;
        foreach (var fault in summary.Faults)
        {
            var line = plot.Add.VerticalLine(fault.AtSeconds);
            line.LabelText = fault.Label;
            line.Color = Colors.Red;
        }
        plot.Title("KvRaft load: throughput and p99 per 100 ms");
        plot.XLabel("time (s)");
        plot.Axes.Left.Label.Text = "ops/s";
        plot.Axes.Right.Label.Text = "p99 latency (ms)";
        // Both axes start at zero (auto-scaling put a margin below it: negative ops/s and latencies).
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, Top(summary.Timeline.Select(point => point.OperationsPerSecond)), plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Top(summary.Timeline.Select(point => point.P99Milliseconds)), plot.Axes.Right);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>The axis top: 10% above the largest value (1 when there is none).</summary>
    private static double Top(IEnumerable<double> values)
    {
        var max = values.DefaultIfEmpty(0).Max();
        return max > 0 ? max * 1.1 : 1;
    }
}
