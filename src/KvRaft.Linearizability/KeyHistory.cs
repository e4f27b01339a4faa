namespace KvRaft.Linearizability;

/// <summary>
/// The checked operations of one key, numbered for the search: completed ones first by return
/// time, then those of unknown outcome by call time. Ignored operations and unknown-outcome
/// writes nobody could have seen (<see cref="UnseenWrites"/>) are left out.
/// </summary>
internal sealed class KeyHistory
{
    public KeyHistory(string key, IEnumerable<Operation> operations)
    {
        Key = key;
        List<Operation> kept = UnseenWrites.Drop([.. operations.Where(operation => !operation.IsIgnored)]);
        Operations =
        [
            .. kept.Where(IsCompleted).OrderBy(o => o.ReturnNanoseconds).ThenBy(o => o.CallNanoseconds),
            .. kept.Where(o => !IsCompleted(o)).OrderBy(o => o.CallNanoseconds),
        ];
        CompletedCount = kept.Count(IsCompleted);
        Model = [.. Operations.Select(operation => ModelOperation.Compile(operation, Values))];
    }

    public string Key { get; }

    public IReadOnlyList<Operation> Operations { get; }

    public int CompletedCount { get; }

    public int UnknownCount => Operations.Count - CompletedCount;

    public ValueTable Values { get; } = new();

    public ModelOperation[] Model { get; }

    /// <summary>The time the search uses for a return: +infinity for an unknown outcome.</summary>
    public long ReturnTime(int operation) =>
        operation < CompletedCount ? Operations[operation].ReturnNanoseconds : long.MaxValue;

    public EventList Events() => new(
        [.. Operations.Select(operation => operation.CallNanoseconds)],
        [.. Enumerable.Range(0, Operations.Count).Select(ReturnTime)]);

    private static bool IsCompleted(Operation operation) => operation.Status == OperationStatus.Completed;
}
