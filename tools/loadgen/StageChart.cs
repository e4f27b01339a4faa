// Goal: a PNG of the write and read stages over time, stacked (each band one stage's mean per second), faults marked.
using ScottPlot;

namespace KvRaft.Loadgen;

/// <summary>Draws the stage profile of a run, next to its throughput chart.</summary>
public static class StageChart
{
    /// <summary>The stage chart's path beside the run's chart: chart-X.png gives chart-X-stages.png.</summary>
    public static string PathBeside(string chartPath) =>
        Path.Combine(Path.GetDirectoryName(chartPath) ?? "", Path.GetFileNameWithoutExtension(chartPath) + "-stages.png");

    /// <summary>Saves two stacked panels (writes above, reads below) of the per-second windows to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<ProfileWindow> seconds, IReadOnlyList<FaultImpact> faults, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        Stack(multiplot.GetPlot(0), seconds, window => window.Writes, "Writes at the leader: mean time per stage, per second (stacked)", faults);
        Stack(multiplot.GetPlot(1), seconds, window => window.Reads, "Reads at the node serving them: mean time per stage, per second (stacked)", faults);
        multiplot.SharedAxes.ShareX([multiplot.GetPlot(0), multiplot.GetPlot(1)]);
        multiplot.SavePng(path, 1200, 900);
    }

    private static void Stack(Plot plot, IReadOnlyList<ProfileWindow> all, Func<ProfileWindow, IReadOnlyList<StageFigures>> stages, string title, IReadOnlyList<FaultImpact> faults)
    {
        ProfileWindow[] seconds = [.. all.Where(window => stages(window)[0].Count > 0)]; // a second without answers has no mean: a gap, not a zero
        double[] x = [.. seconds.Select(window => window.ToSeconds)];
        var below = new double[x.Length];
        var stageCount = seconds.Length > 0 ? stages(seconds[0]).Count : 0;
        for (var s = 0; s < stageCount; s++)
        {
            double[] above = [.. below.Select((bottom, i) => bottom + stages(seconds[i])[s].MeanMilliseconds)];
            var band = plot.Add.FillY(x, below, above);
            band.LegendText = stages(seconds[0])[s].Stage;
            band.FillColor = Palette[s % Palette.Length].WithAlpha(0.8);
            below = above;
        }
        foreach (var fault in faults)
        {
            var line = plot.Add.VerticalLine(fault.AtSeconds);
            line.LabelText = fault.Label;
            line.Color = Colors.Red;
        }
        plot.Title(title);
        plot.XLabel("time (s)");
        plot.YLabel("ms");
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, below.DefaultIfEmpty(0).Max() is > 0 and var top ? top * 1.1 : 1);
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.Orange, Colors.SeaGreen, Colors.Crimson, Colors.MediumPurple, Colors.SaddleBrown];
}
