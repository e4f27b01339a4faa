// Goal: read durations such as "10s", "500ms", "2m" from the command line.
using System.Globalization;

namespace KvRaft.Loadgen;

/// <summary>Parses "500ms", "10s", "1.5s", "2m" (a bare number means seconds).</summary>
public static class DurationText
{
    /// <summary>The duration <paramref name="text"/> names.</summary>
    public static TimeSpan Parse(string text)
    {
        var trimmed = text.Trim();
        (var number, var unitSeconds) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.Ordinal) => (trimmed[..^2], 0.001),
            _ when trimmed.EndsWith('s') => (trimmed[..^1], 1.0),
            _ when trimmed.EndsWith('m') => (trimmed[..^1], 60.0),
            _ => (trimmed, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new FormatException($"not a duration: \"{text}\" (e.g. 500ms, 10s, 2m)");
        }
        return TimeSpan.FromSeconds(value * unitSeconds);
    }
}
