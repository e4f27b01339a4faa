namespace KvRaft.Linearizability;

/// <summary>
/// Drops writes of unknown outcome that no completed operation could have observed, before the
/// search: each would double the configurations to explore (taken effect or not), and leaving one
/// out never changes the verdict. A put or append of unknown outcome is unobservable when no get
/// read a value containing its (unique) value; a delete when no get read "". Keys with cas keep
/// everything: a failed cas can observe a write without reading its value.
/// </summary>
internal static class UnseenWrites
{
    public static List<Operation> Drop(List<Operation> operations)
    {
        if (operations.Any(o => o.Kind == OperationKind.Cas)
            || !operations.Any(o => o.Status == OperationStatus.Unknown))
        {
            return operations;
        }
        var outputs = operations
            .Where(o => o.Kind == OperationKind.Get && o.Status == OperationStatus.Completed)
            .Select(o => o.Output ?? "")
            .ToHashSet(StringComparer.Ordinal);
        bool appends = operations.Any(o => o.Kind == OperationKind.Append);
        return [.. operations.Where(o => o.Status != OperationStatus.Unknown || IsSeen(o, outputs, appends))];
    }

    private static bool IsSeen(Operation write, HashSet<string> outputs, bool appends) => write.Kind switch
    {
        OperationKind.Delete => outputs.Contains(""),
        _ when !appends => outputs.Contains(write.Value ?? ""),
        _ => outputs.Any(output => output.Contains(write.Value ?? "", StringComparison.Ordinal)),
    };
}
