using KvRaft.Server.Metrics;
using KvRaft.Server.Node;

namespace KvRaft.Server.Hosting;

internal sealed partial class NodeHost
{
    /// <summary>Largest gap between commit and applied index at which the node still reports ready.</summary>
    public const long ReadyApplyLagMax = 1024;

    private readonly object _gaugesLock = new();
    private NodeGauges _gauges; // the node's figures as of the end of the last turn; guarded by _gaugesLock

    /// <summary>The node's instruments, when the server exports metrics (--metrics-listen).</summary>
    public ServerMetrics? Metrics { get; init; }

    /// <summary>The node's figures as of the end of the last turn (any thread).</summary>
    public NodeGauges Gauges
    {
        get
        {
            lock (_gaugesLock)
            {
                return _gauges;
            }
        }
    }

    /// <summary>Healthy while the event loop runs: it stops on a failed disk (or a stop), storage closing with it.</summary>
    public ProbeResult Health() => Stopped.IsCompleted
        ? new ProbeResult(false, Stopped.IsFaulted ? "stopped: " + Stopped.Exception?.InnerException?.Message : "stopped")
        : new ProbeResult(true, "ok: event loop running, storage open");

    /// <summary>Ready when healthy, a leader is known, and the applied index is within <see cref="ReadyApplyLagMax"/> of the commit index.</summary>
    public ProbeResult Ready()
    {
        var health = Health();
        if (!health.Ok)
        {
            return health;
        }

        var gauges = Gauges;
        var lag = gauges.CommitIndex - gauges.AppliedIndex;
        if (gauges.Leader == 0)
        {
            return new ProbeResult(false, $"not ready: no leader known in term {gauges.Term}");
        }

        if (lag > ReadyApplyLagMax)
        {
            return new ProbeResult(false, $"not ready: applied {gauges.AppliedIndex} is {lag} behind commit {gauges.CommitIndex}");
        }

        return new ProbeResult(true, $"ready: leader {gauges.Leader}, term {gauges.Term}, applied {gauges.AppliedIndex}, commit {gauges.CommitIndex}");
    }

    /// <summary>End of a turn: the gauges' figures (a few fields copied; only when metrics are on).</summary>
    private void PublishGauges()
    {
        if (Metrics is null)
        {
            return;
        }

        var gauges = _node.Gauges;
        lock (_gaugesLock)
        {
            _gauges = gauges;
        }
    }
}
