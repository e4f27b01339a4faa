namespace KvRaft.Server.Hosting;

/// <summary>
/// Turns a monotonic time source into elapsed ticks: each call takes every whole tick interval that ended since
/// the previous one, those missed while the event loop stalled (a collector pause, a slow disk) included. Dropping
/// them would stretch every timer of the node by the stall, the leader's lease among them: a leader paused under a
/// partition would serve stale reads for up to a lease after it resumed. The remainder of an interval carries over.
/// </summary>
internal sealed class TickClock
{
    private readonly TimeProvider _time;
    private readonly long _tickTimestamps;
    private long _nextTick;

    /// <summary>Starts the clock now: the first tick ends one interval from now.</summary>
    public TickClock(TimeProvider time, int tickMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tickMilliseconds);
        _time = time;
        _tickTimestamps = Math.Max(1, time.TimestampFrequency * tickMilliseconds / 1000);
        _nextTick = time.GetTimestamp() + _tickTimestamps;
    }

    /// <summary>
    /// Counts from now again: the first tick ends one interval from now, and the intervals that ended before are not
    /// counted. For the host's start: the time a node spent starting (listeners, a first JIT) is no time its timers
    /// should have run, as nobody could reach it meanwhile.
    /// </summary>
    public void Restart() => _nextTick = _time.GetTimestamp() + _tickTimestamps;

    /// <summary>The ticks that ended since the previous call (0 if none), each counted once.</summary>
    public int TakeElapsedTicks()
    {
        var now = _time.GetTimestamp();
        if (now < _nextTick)
        {
            return 0;
        }

        var elapsed = (now - _nextTick) / _tickTimestamps + 1;
        _nextTick += elapsed * _tickTimestamps;
        return (int)Math.Min(elapsed, int.MaxValue);
    }
}
