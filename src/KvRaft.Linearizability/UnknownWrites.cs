namespace KvRaft.Linearizability;

/// <summary>
/// Narrows writes of unknown outcome before the search, since each one the search must consider
/// can double the configurations it explores:
/// - unseen: a put, append or cas whose value no completed get read and no cas expects (not even
///   one of unknown outcome; in a key with appends, not even inside a longer value), or a delete
///   in a key without appends when no get read "" and no cas expects "", is left out, provided no
///   completed failed cas ends at or after its call (a failed cas can observe a write without reading it);
///   leaving it out never changes the verdict, as an unknown write may never have taken effect;
/// - seen exactly: a put or cas whose value was read exactly, and which no other write or chain of
///   appends can produce, certainly took effect before the first such read returned: it gets that
///   read's return as its deadline (unless that is before its call: then the search finds the
///   violation) and is searched like a completed operation.
/// </summary>
internal static class UnknownWrites
{
    /// <summary>Drops unseen unknown writes; returns the deadline of each seen one.</summary>
    public static Dictionary<Operation, long> Narrow(List<Operation> operations)
    {
        var deadlines = new Dictionary<Operation, long>(ReferenceEqualityComparer.Instance);
        if (!operations.Any(o => o.Status == OperationStatus.Unknown))
        {
            return deadlines;
        }
        var observations = new Observations(operations);
        operations.RemoveAll(o => o.Status == OperationStatus.Unknown && observations.IsUnseen(o));
        foreach (var write in operations.Where(o => o.Status == OperationStatus.Unknown))
        {
            if (observations.Deadline(write) is long deadline && deadline >= write.CallNanoseconds)
            {
                deadlines[write] = deadline;
            }
        }
        return deadlines;
    }
}
