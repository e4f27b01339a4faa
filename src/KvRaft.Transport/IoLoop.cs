using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;

namespace KvRaft.Transport;

/// <summary>
/// One event-loop thread that a node's transports share and that runs the node's own work as tasks. A node
/// that owns its I/O thread hands nothing between threads on the way from a socket to Raft and back: a
/// request read, the turn that proposes it, the messages it sends and the answers it writes all run here,
/// one after the other. Only work that blocks (the log's device writes, snapshots) runs elsewhere and
/// comes back with <see cref="Execute"/>.
/// </summary>
public sealed class IoLoop : IAsyncDisposable
{
    private readonly IEventLoop _loop;
    private int _disposed;

    /// <summary>Starts the thread.</summary>
    public IoLoop()
    {
        Group = new MultithreadEventLoopGroup(1);
        _loop = (IEventLoop)Group.GetNext();
    }

    /// <summary>True on the loop's thread.</summary>
    public bool InLoop => _loop.InEventLoop;

    internal MultithreadEventLoopGroup Group { get; }

    /// <summary>
    /// Runs <paramref name="action"/> on the loop, after the tasks already queued (also when called on the loop);
    /// false when the loop has stopped (late completions of a stopped node have nowhere to go).
    /// </summary>
    public bool Execute(Action action)
    {
        if (_loop.IsShuttingDown)
        {
            return false; // DotNetty 0.7.6 takes (and never runs) a task after it stopped
        }

        try
        {
            _loop.Execute(action);
            return true;
        }
        catch (RejectedExecutionException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the loop once <paramref name="delay"/> has passed; false when the loop has stopped.
    /// The delay runs on a system timer, not in DotNetty's scheduled-task queue: while that queue holds a task, DotNetty
    /// 0.7.6's loop waits for it in whole milliseconds (the rest truncated) and then polls the clock without sleeping
    /// until the deadline, up to a millisecond of spinning per scheduled task (a 10 ms tick: up to a tenth of a core).
    /// </summary>
    public bool Schedule(Action action, TimeSpan delay)
    {
        if (_loop.IsShuttingDown)
        {
            return false;
        }

        DelayedAction.Start(this, action, delay);
        return true;
    }

    /// <summary>A one-shot timer that hands its action to the loop; the timer's own callback state keeps it alive until then.</summary>
    private sealed class DelayedAction
    {
        private readonly IoLoop _loop;
        private readonly Action _action;
        private ITimer? _timer;

        private DelayedAction(IoLoop loop, Action action)
        {
            _loop = loop;
            _action = action;
        }

        public static void Start(IoLoop loop, Action action, TimeSpan delay)
        {
            var delayed = new DelayedAction(loop, action);
            delayed._timer = TimeProvider.System.CreateTimer(static state => ((DelayedAction)state!).Fire(), delayed, delay, Timeout.InfiniteTimeSpan);
        }

        private void Fire()
        {
            _timer?.Dispose();
            _loop.Execute(_action); // false once the loop stopped: the action is dropped, as DotNetty dropped it
        }
    }

    /// <summary>Stops the thread (after the transports that use it are disposed).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await ChannelSetup.ShutdownAsync(Group).ConfigureAwait(false);
    }
}
