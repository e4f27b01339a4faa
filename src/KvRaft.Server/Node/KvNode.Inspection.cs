using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    /// <summary>Read-only view of the core for the simulator's and tests' safety checks.</summary>
    internal RaftNode RaftNode => _raft;

    /// <summary>The figures the host's gauges show: fields the node keeps anyway (read on the loop thread, allocates nothing).</summary>
    public NodeGauges Gauges => new(_raft.Role, _raft.Term, _raft.Leader, _raft.Committed, _machine.AppliedIndex,
        _proposals.Count, _pendingWrites, _pendingReads, _logWrites.Count, _machine.SessionCount,
        (_machine as KvStateMachineBase)?.SessionsEvicted ?? 0);
}

/// <summary>A node's state for gauges, as of one moment of its event loop.</summary>
public readonly record struct NodeGauges(Role Role, long Term, int Leader, long CommitIndex, long AppliedIndex,
    int ProposalsPending, int WritesPending, int ReadsPending, int LogWritesInFlight, int SessionsLive, long SessionsEvicted);
