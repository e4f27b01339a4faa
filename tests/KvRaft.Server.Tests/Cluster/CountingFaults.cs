// Goal: show that injected faults really happened; method: a pass-through IFaultInjector over NetworkFaults that counts drops and delays.
using KvRaft.Transport;

namespace KvRaft.Server.Tests.Cluster;

internal sealed class CountingFaults(NetworkFaults rules) : IFaultInjector
{
    private long _dropped;
    private long _delayed;

    public NetworkFaults Rules { get; } = rules;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Delayed => Interlocked.Read(ref _delayed);

    public FaultDecision Decide(int fromNodeId, int toNodeId)
    {
        FaultDecision decision = Rules.Decide(fromNodeId, toNodeId);
        if (decision.Action == FaultAction.Drop) Interlocked.Increment(ref _dropped);
        if (decision.Action == FaultAction.Delay) Interlocked.Increment(ref _delayed);
        return decision;
    }
}
