// Goal: the run chart starts both axes at zero (auto-scaling used to put a margin below it: negative ops/s and
// latencies) and, by default, lands under results/ (ignored by git) instead of the current folder. Method: build
// the chart of a fixed summary and read its axis limits; parse loadgen's default chart path.
using KvRaft.Loadgen;
using ScottPlot;

namespace KvRaft.Loadgen.Tests;

public sealed class ChartTests
{
    [Fact]
    public void Both_axes_start_at_zero_and_cover_the_largest_value()
    {
        TimelinePoint[] timeline = [new(0, 1_000, 1, 5, 0), new(0.1, 40_000, 2, 80, 0), new(0.2, 20_000, 1, 30, 0)];
        var summary = new RunSummary(0.3, 6_100, 6_100, 0, 0, 20_333, LatencyProfile.Of([]), new Dictionary<string, long>(), timeline, []);
        var plot = Chart.Build(summary);
        var left = plot.Axes.GetLimits(plot.Axes.Bottom, plot.Axes.Left);
        var right = plot.Axes.GetLimits(plot.Axes.Bottom, plot.Axes.Right);
        Assert.Equal(0, left.Bottom);
        Assert.True(left.Top >= 40_000, $"left axis tops at {left.Top}");
        Assert.Equal(0, right.Bottom);
        Assert.True(right.Top >= 80, $"right axis tops at {right.Top}");
    }

    [Fact]
    public void The_default_chart_goes_under_the_results_folder()
    {
        var path = LoadgenCommand.DefaultChartPath();
        Assert.Equal("results", Path.GetDirectoryName(path));
        Assert.EndsWith(".png", path, StringComparison.Ordinal);
    }
}
