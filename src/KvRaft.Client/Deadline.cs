namespace KvRaft.Client;

/// <summary>
/// The deadline and cancellation of one call, all retries included. A deadline without a caller's token (the usual
/// case) comes from a <see cref="DeadlinePool"/> and goes back to it when its call ends before it fired: its
/// cancellation source and timer are reset (<see cref="CancellationTokenSource.TryReset"/>), not made anew per call.
/// </summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _caller;
    private readonly DeadlinePool? _pool;
    private int _inUse = 1;

    public Deadline(TimeSpan timeout, CancellationToken caller)
        : this(timeout, caller, null)
    {
    }

    private Deadline(TimeSpan timeout, CancellationToken caller, DeadlinePool? pool)
    {
        _caller = caller;
        _pool = pool;
        // Linking registers on the caller's token; a caller that cannot cancel (the usual case) needs no link.
        _source = caller.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(caller) : new CancellationTokenSource();
        _source.CancelAfter(timeout);
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; private set; }

    public CancellationToken Token => _source.Token;

    /// <summary>True when the caller's token (not the deadline) ended the call.</summary>
    public bool CallerCancelled => _caller.IsCancellationRequested;

    public CancellationToken CallerToken => _caller;

    /// <summary>What the call's attempts have learned (reused with the deadline; a call's sub-calls, such as a session's registration, have their own).</summary>
    public Attempts Attempts { get; } = new();

    /// <summary>Ends the call's use: back to its pool when it did not fire (registrations left on its token are dropped), else disposed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _inUse, 0) == 0)
        {
            return; // disposed twice: it must not go back to the pool twice
        }
        if (_pool is not null && _source.TryReset() && _pool.TryReturn(this))
        {
            return;
        }
        _source.Dispose();
    }

    /// <summary>A deadline of <paramref name="timeout"/> for a call without a caller's token, kept by <paramref name="pool"/>.</summary>
    internal static Deadline Pooled(TimeSpan timeout, DeadlinePool pool) => new(timeout, CancellationToken.None, pool);

    /// <summary>Starts a reused deadline's next call.</summary>
    internal void Restart(TimeSpan timeout)
    {
        _inUse = 1;
        Attempts.Reset();
        Timeout = timeout;
        _source.CancelAfter(timeout);
    }
}

/// <summary>Deadlines to reuse (those without a caller's token): at most <c>capacity</c> kept.</summary>
internal sealed class DeadlinePool(int capacity)
{
    private readonly Stack<Deadline> _idle = new(); // locked by itself

    /// <summary>A deadline <paramref name="timeout"/> from now for a call, or <paramref name="caller"/> cancels it.</summary>
    public Deadline Start(TimeSpan timeout, CancellationToken caller)
    {
        if (caller.CanBeCanceled)
        {
            return new Deadline(timeout, caller);
        }
        Deadline? reused;
        lock (_idle)
        {
            _idle.TryPop(out reused);
        }
        if (reused is null)
        {
            return Deadline.Pooled(timeout, this);
        }
        reused.Restart(timeout);
        return reused;
    }

    /// <summary>Takes back a deadline whose call ended, reset; false when the pool is full.</summary>
    public bool TryReturn(Deadline deadline)
    {
        lock (_idle)
        {
            if (_idle.Count >= capacity)
            {
                return false;
            }
            _idle.Push(deadline);
            return true;
        }
    }
}
