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

    /// <summary>Runs <paramref name="action"/> on the loop once <paramref name="delay"/> has passed; false when the loop has stopped.</summary>
    public bool Schedule(Action action, TimeSpan delay)
    {
        if (_loop.IsShuttingDown)
        {
            return false;
        }

        try
        {
            _loop.Schedule(action, delay);
            return true;
        }
        catch (RejectedExecutionException)
        {
            return false;
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
