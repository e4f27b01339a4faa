namespace KvRaft.Linearizability.Tests;

/// <summary>
/// The definition, executed: tries every order of the operations that respects real time
/// (A before B when A returned before B was called), with unknown-outcome writes optional and
/// failed operations and unknown-outcome gets left out. Exponential: for a handful of operations.
/// </summary>
internal static class BruteForce
{
    public static bool IsLinearizable(IReadOnlyList<Operation> history)
    {
        List<Operation> kept = [.. history.Where(o => !o.IsIgnored)];
        return Search(kept, "");
    }

    private static bool Search(List<Operation> remaining, string state)
    {
        if (remaining.All(o => o.Status != OperationStatus.Completed))
        {
            return true;
        }
        foreach (var next in remaining.Where(o => IsMinimal(o, remaining)).ToList())
        {
            if (Step(next, state) is string after)
            {
                remaining.Remove(next);
                var found = Search(remaining, after);
                remaining.Add(next);
                if (found)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool IsMinimal(Operation candidate, List<Operation> remaining) =>
        !remaining.Any(o => o.Status == OperationStatus.Completed && o.ReturnNanoseconds < candidate.CallNanoseconds);

    /// <summary>The state after the operation, or null when its recorded output is impossible.</summary>
    private static string? Step(Operation operation, string state) => operation.Kind switch
    {
        OperationKind.Get => operation.Output == state ? state : null,
        OperationKind.Put => operation.Value,
        OperationKind.Append => state + operation.Value,
        OperationKind.Delete => "",
        _ when operation.Status == OperationStatus.Unknown => state == operation.Expected ? operation.Value : state,
        _ => (state == operation.Expected) == (operation.Output == "true") ? (state == operation.Expected ? operation.Value : state) : null,
    };
}
