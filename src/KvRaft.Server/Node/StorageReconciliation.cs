using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// Brings the log in line with the state machine when a node starts. A snapshot install swaps the state machine
/// first (durable at once: the atomic switch of its generation) and empties the log behind it second (durable only
/// with the next log commit). A kill between the two leaves a state machine at the snapshot's (index, term) over the
/// old log: shorter than the snapshot (the core could not start) or holding another term at its index (the leader's
/// Appends after the snapshot were refused for ever). Either way the log is reset to continue after the snapshot,
/// as the install would have left it. The snapshot's entries are committed, so its index and term are the truth.
/// </summary>
internal static class StorageReconciliation
{
    /// <summary>Resets the log after the state machine's applied (index, term) when the log disagrees; true if it did.</summary>
    public static bool Reconcile(IRaftLogStore log, IKvStateMachine machine, ILogger logger)
    {
#if PLANTED_BUGS
        if (PlantedBugs.Has(PlantedBug.SnapshotBoundaryAfterSwap))
        {
            return false;
        }
#endif
        var index = machine.AppliedIndex;
        var term = machine.AppliedTerm;
        // Applied entries came from this log or from a snapshot: at or behind the compaction boundary there is nothing to check.
        if (index == 0 || index < log.FirstIndex - 1)
        {
            return false;
        }

        if (log.TryGetTerm(index, out var logTerm) && logTerm == term)
        {
            return false;
        }

        logger.LogWarning("The state machine is at {Index}@{Term} but the log {Holds}: a snapshot install was cut short; the log now continues after it",
            index, term, index > log.LastIndex ? $"ends at {log.LastIndex}" : $"has term {logTerm} there");
        log.ResetAfter(index, term);
        var hard = log.HardState;
        // The snapshot's term bounds the current term from below (a term raised votes for nobody); its index is committed.
        var newTerm = hard.Term < term;
        log.Append([], new HardState(newTerm ? term : hard.Term, newTerm ? 0 : hard.Vote, index));
        return true;
    }
}
