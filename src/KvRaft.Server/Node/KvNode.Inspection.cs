using KvRaft.Raft;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    /// <summary>Read-only view of the core for the simulator's and tests' safety checks.</summary>
    internal RaftNode RaftNode => _raft;
}
