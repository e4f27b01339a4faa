namespace KvRaft.Linearizability;

/// <summary>
/// The checked operations of one key, numbered for the search: those with a return time first
/// by return time (completed ones, and unknown-outcome writes given a deadline by
/// <see cref="UnknownWrites"/>), then the other unknown-outcome ones by call time (they return at
/// +infinity). Ignored operations and unseen unknown-outcome writes are left out.
/// </summary>
internal sealed class KeyHistory
{
    private readonly long[] _returns;

    public KeyHistory(string key, IEnumerable<Operation> operations)
    {
        Key = key;
        List<Operation> kept = [.. operations.Where(operation => !operation.IsIgnored)];
        var deadlines = UnknownWrites.Narrow(kept);
        long Return(Operation o) => o.Status == OperationStatus.Completed ? o.ReturnNanoseconds
            : deadlines.GetValueOrDefault(o, long.MaxValue);
        Operations =
        [
            .. kept.Where(o => Return(o) != long.MaxValue).OrderBy(Return).ThenBy(o => o.CallNanoseconds),
            .. kept.Where(o => Return(o) == long.MaxValue).OrderBy(o => o.CallNanoseconds),
        ];
        _returns = [.. Operations.Select(Return)];
        CompletedCount = _returns.Count(time => time != long.MaxValue);
        Model = [.. Operations.Select(operation => ModelOperation.Compile(operation, Values))];
        LongestRead = Operations.All(o => o.Kind is OperationKind.Append or OperationKind.Get)
            ? Operations.Where(o => o.Kind == OperationKind.Get && o.Status == OperationStatus.Completed)
                .Select(o => o.Output ?? "").MaxBy(output => output.Length) ?? ""
            : null;
    }

    /// <summary>
    /// For a key only appended to and read: the longest value a completed get read. Every state of a linearization
    /// of such a key is a prefix of its final value, and so is every value read: a state that is neither a prefix of
    /// this one nor extends it can lead nowhere (see <see cref="KeySearch"/>). Null for any other key.
    /// </summary>
    public string? LongestRead { get; }

    public string Key { get; }

    public IReadOnlyList<Operation> Operations { get; }

    public int CompletedCount { get; }

    public int UnknownCount => Operations.Count - CompletedCount;

    public ValueTable Values { get; } = new();

    public ModelOperation[] Model { get; }

    /// <summary>The time the search uses for a return: +infinity for an unknown outcome.</summary>
    public long ReturnTime(int operation) => _returns[operation];

    public EventList Events() => new([.. Operations.Select(operation => operation.CallNanoseconds)], _returns);
}
