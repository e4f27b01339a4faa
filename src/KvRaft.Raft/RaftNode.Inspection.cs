namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    // Read-only views for the simulator's and tests' safety checks.
    internal bool TryGetLogTerm(long index, out long term) => _log.TryGetTerm(index, out term);

    internal long FirstLogIndex => _log.FirstIndex;

    internal long AppliedIndex => _log.Applied;
}
