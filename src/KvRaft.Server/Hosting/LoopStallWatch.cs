using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// Watches an event loop for stalls, as etcd warns of a heartbeat sent late: a turn that starts long after the previous
/// one (the loop thread was busy with socket work, descheduled or paused by the collector) or that takes long itself. A
/// stall of a third of the election timeout delays heartbeats enough for a follower to campaign, so the operator is
/// told, with the collector's share of it (its pause time and gen-2 collections meanwhile). At most one warning a
/// second; the ones held back are counted in the next.
/// </summary>
internal sealed class LoopStallWatch(ILogger logger, string loop)
{
    /// <summary>A turn this late, or this long, is a stall (10 ticks of the default 10 ms; a third of the default election timeout).</summary>
    public static readonly TimeSpan StallMin = TimeSpan.FromMilliseconds(100);

    private static readonly long WarningIntervalTimestamps = Stopwatch.Frequency; // one warning a second at most

    private long _previousStart; // timestamp of the previous turn's start, 0 before the first turn
    private TimeSpan _pauseAtPreviousStart; // the collector's total pause time then
    private int _gen2AtPreviousStart; // gen-2 collections then
    private long _lastWarning; // timestamp of the last warning logged, 0 before the first
    private int _heldBack; // stalls not logged since the last warning
    private long _phaseStart; // timestamp of the current phase's start
    private string _longestPhase = ""; // the longest phase of this turn so far
    private long _longestPhaseTimestamps; // and its length

    /// <summary>A turn starts now: warns if it starts a stall late. Returns the timestamp to hand to <see cref="TurnEnded"/>.</summary>
    public long TurnStarted()
    {
        var now = Stopwatch.GetTimestamp();
        var pause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        if (_previousStart != 0)
        {
            var gap = Stopwatch.GetElapsedTime(_previousStart, now);
            if (gap >= StallMin)
            {
                if (ShouldWarn(now, out var heldBack))
                {
                    logger.LogWarning("{Loop}: event loop turn started {Milliseconds:F0} ms after the previous one (collector paused {PauseMilliseconds:F0} ms, {Gen2} gen-2 collections meanwhile; {HeldBack} stalls not logged since the last warning)",
                        loop, gap.TotalMilliseconds, (pause - _pauseAtPreviousStart).TotalMilliseconds, gen2 - _gen2AtPreviousStart, heldBack);
                }
            }
        }
        _previousStart = now;
        _phaseStart = now;
        _longestPhase = "";
        _longestPhaseTimestamps = 0;
        _pauseAtPreviousStart = pause;
        _gen2AtPreviousStart = gen2;
        return now;
    }

    /// <summary>The turn's phase named <paramref name="phase"/> (a constant) ended now: a long turn names its longest phase.</summary>
    public void PhaseEnded(string phase)
    {
        var now = Stopwatch.GetTimestamp();
        if (now - _phaseStart > _longestPhaseTimestamps)
        {
            _longestPhaseTimestamps = now - _phaseStart;
            _longestPhase = phase;
        }
        _phaseStart = now;
    }

    /// <summary>The turn started at <paramref name="started"/> ended having handled <paramref name="events"/> events: warns if it took a stall.</summary>
    public void TurnEnded(long started, int events)
    {
        var now = Stopwatch.GetTimestamp();
        var took = Stopwatch.GetElapsedTime(started, now);
        if (took >= StallMin)
        {
            if (ShouldWarn(now, out var heldBack))
            {
                logger.LogWarning("{Loop}: event loop turn took {Milliseconds:F0} ms for {Events} events, {PhaseMilliseconds:F0} ms of it in {Phase} (collector paused {PauseMilliseconds:F0} ms, {Gen2} gen-2 collections meanwhile; {HeldBack} stalls not logged since the last warning)",
                    loop, took.TotalMilliseconds, events, Stopwatch.GetElapsedTime(0, _longestPhaseTimestamps).TotalMilliseconds, _longestPhase, (GC.GetTotalPauseDuration() - _pauseAtPreviousStart).TotalMilliseconds, GC.CollectionCount(2) - _gen2AtPreviousStart, heldBack);
            }
        }
    }

    /// <summary>True if a stall is to be logged (none logged in the last second), with the stalls held back since the last one.</summary>
    private bool ShouldWarn(long now, out int heldBack)
    {
        heldBack = _heldBack;
        if (_lastWarning != 0 && now - _lastWarning < WarningIntervalTimestamps)
        {
            _heldBack++;
            return false;
        }
        _lastWarning = now;
        _heldBack = 0;
        return true;
    }
}
