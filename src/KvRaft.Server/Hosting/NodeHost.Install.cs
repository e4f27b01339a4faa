using KvRaft.Server.Node;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// A snapshot install's state machine swap (a FasterKV restore from the staged file: minutes for a large state) runs on
/// the thread pool, off the event loop: heartbeats and client traffic keep flowing, and the loop's ticks keep the
/// election timer honest (an install on the loop stalled it, and the missed ticks made the follower campaign once it
/// ended). Its end comes back as a control event, like a log commit's.
/// </summary>
internal sealed partial class NodeHost
{
    private Task _install = Task.CompletedTask; // the install in flight (at most one: the node takes no Ready meanwhile)

    /// <summary>Runs <paramref name="install"/> on the thread pool and posts its end to the loop.</summary>
    public void RunInstall(Action install)
    {
        // One at a time: the node starts the next only after this one's event (posted as this task's last step).
        _install = Task.Run(() =>
        {
            Exception? failure = null;
            try
            {
                install();
            }
            catch (Exception error)
            {
                failure = error;
            }
            PostOrFail(new NodeEvent { Kind = NodeEventKind.SnapshotInstalled, Error = failure });
        });
    }

    /// <summary>Waits for an install in flight before the stores it writes to are closed.</summary>
    private async Task AwaitInstallAsync()
    {
        try
        {
            await _install.ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            _logger.LogWarning(error, "Snapshot install in flight at stop failed");
        }
    }
}

/// <summary>The node's install runner: the host's thread pool task (the host is made after the node).</summary>
internal sealed class BackgroundInstallRunner(Func<NodeHost> host) : ISnapshotInstallRunner
{
    public void Run(Action install) => host().RunInstall(install);
}
