// Goal: reusing a call's deadline (its cancellation source and timer) never lets one call's cancellation reach another:
// a fired deadline is not reused, what an ended call left registered on its token is not notified in the next use,
// and a deadline disposed twice is not handed out twice. Method: a DeadlinePool driven by hand; waits on the tokens are
// bounded, no sleeps.
namespace KvRaft.Client.Tests;

public sealed class DeadlineReuseTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_deadline_that_fired_is_not_reused()
    {
        var pool = new DeadlinePool(capacity: 4);
        var fired = pool.Start(TimeSpan.FromMilliseconds(1), CancellationToken.None);
        await WaitCancelled(fired.Token);
        fired.Dispose();

        var next = pool.Start(Long, CancellationToken.None);
        Assert.NotSame(fired, next);
        Assert.False(next.Token.IsCancellationRequested);
        next.Dispose();
    }

    [Fact]
    public async Task A_registration_left_by_an_ended_call_is_not_notified_when_the_reused_deadline_fires()
    {
        var pool = new DeadlinePool(capacity: 4);
        var first = pool.Start(Long, CancellationToken.None);
        var notified = 0;
        first.Token.UnsafeRegister(_ => Interlocked.Increment(ref notified), null); // e.g. a retry pause's delay, never disposed
        first.Dispose();

        var second = pool.Start(TimeSpan.FromMilliseconds(1), CancellationToken.None);
        Assert.Same(first, second); // reused
        await WaitCancelled(second.Token);
        Assert.Equal(0, Volatile.Read(ref notified));
        second.Dispose();
    }

    [Fact]
    public void A_deadline_disposed_twice_is_handed_out_once()
    {
        var pool = new DeadlinePool(capacity: 4);
        var deadline = pool.Start(Long, CancellationToken.None);
        deadline.Dispose();
        deadline.Dispose();

        var first = pool.Start(Long, CancellationToken.None);
        var second = pool.Start(Long, CancellationToken.None);
        Assert.NotSame(first, second);
        first.Dispose();
        second.Dispose();
    }

    [Fact]
    public void A_deadline_linked_to_a_caller_token_is_not_pooled()
    {
        var pool = new DeadlinePool(capacity: 4);
        using var caller = new CancellationTokenSource();
        var linked = pool.Start(Long, caller.Token);
        linked.Dispose();
        var next = pool.Start(Long, CancellationToken.None);
        Assert.NotSame(linked, next);
        next.Dispose();
    }

    private static Task WaitCancelled(CancellationToken token) =>
        Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(Timeout.Infinite, token).WaitAsync(Bounded.Limit));
}
