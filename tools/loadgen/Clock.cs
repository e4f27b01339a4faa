// Goal: one monotonic clock in nanoseconds for the whole run (the history format's clock).
using System.Diagnostics;

namespace KvRaft.Loadgen;

/// <summary>Stopwatch.GetTimestamp() in nanoseconds, shared by every client of a run.</summary>
public static class Clock
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Now, in nanoseconds on the monotonic clock.</summary>
    public static long NowNanoseconds() => (long)(Stopwatch.GetTimestamp() * NanosecondsPerTick);

    /// <summary>Waits until <paramref name="targetNanoseconds"/> (pacing, not synchronisation).</summary>
    public static async Task DelayUntilAsync(long targetNanoseconds, CancellationToken cancellation)
    {
        var remainingNanoseconds = targetNanoseconds - NowNanoseconds();
        if (remainingNanoseconds > 500_000)
        {
            await Task.Delay(TimeSpan.FromTicks(remainingNanoseconds / 100), cancellation).ConfigureAwait(false);
        }
    }
}
