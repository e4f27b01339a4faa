// Goal: the host's tick clock counts every tick interval that passed, those missed while the event loop stalled included, so a stall cannot stretch the node's timers (the leader's lease among them); method: a TickClock over a hand-moved time source, with fixed steps.
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class TickClockTests
{
    private const int TickMilliseconds = 10;

    [Fact]
    public void No_tick_is_counted_before_an_interval_has_passed()
    {
        var time = new HandMovedTime();
        var clock = new TickClock(time, TickMilliseconds);
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, clock.TakeElapsedTicks());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, clock.TakeElapsedTicks());
        Assert.Equal(0, clock.TakeElapsedTicks()); // each tick is counted once
    }

    [Fact]
    public void A_restart_counts_from_then_and_drops_the_ticks_that_ended_before_it()
    {
        var time = new HandMovedTime();
        var clock = new TickClock(time, TickMilliseconds);
        time.Advance(TimeSpan.FromMilliseconds(500)); // the node was starting its listeners: nobody could reach it
        clock.Restart();
        Assert.Equal(0, clock.TakeElapsedTicks());
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, clock.TakeElapsedTicks());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, clock.TakeElapsedTicks());
    }

    [Fact]
    public void A_stall_of_one_second_counts_every_tick_it_missed()
    {
        var time = new HandMovedTime();
        var clock = new TickClock(time, TickMilliseconds);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, clock.TakeElapsedTicks());
        time.Advance(TimeSpan.FromSeconds(1)); // the loop was paused (a collection, a slow disk)
        Assert.Equal(100, clock.TakeElapsedTicks());
    }

    [Fact]
    public void The_part_of_an_interval_left_over_counts_toward_the_next_tick()
    {
        var time = new HandMovedTime();
        var clock = new TickClock(time, TickMilliseconds);
        time.Advance(TimeSpan.FromMilliseconds(25));
        Assert.Equal(2, clock.TakeElapsedTicks());
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, clock.TakeElapsedTicks());
        var total = 0;
        for (var step = 0; step < 1000; step++) // uneven turns: no tick lost or added over time
        {
            time.Advance(TimeSpan.FromMilliseconds(step % 7));
            total += clock.TakeElapsedTicks();
        }
        Assert.Equal(299, total); // 2997 ms of steps after 30: 302 ticks in all, 3 counted before, 7 ms left over
    }

    /// <summary>A monotonic time source moved only by the test (a microsecond timestamp).</summary>
    private sealed class HandMovedTime : TimeProvider
    {
        private long _timestamp = 1_000_000;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => _timestamp;

        public void Advance(TimeSpan span) => _timestamp += (long)(span.TotalMilliseconds * 1000);
    }
}
