namespace KvRaft.Linearizability.Tests;

/// <summary>A small builder for hand-written histories: times are in ms, stored as ns.</summary>
internal sealed class History
{
    private const long Millisecond = 1_000_000;
    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> Operations => _operations;

    public History Get(int client, string key, string output, long call, long returned, OperationStatus status = OperationStatus.Completed) =>
        Add(new Operation(client, OperationKind.Get, key, null, null, output, call * Millisecond, returned * Millisecond, status));

    public History Put(int client, string key, string value, long call, long returned, OperationStatus status = OperationStatus.Completed) =>
        Add(new Operation(client, OperationKind.Put, key, value, null, null, call * Millisecond, returned * Millisecond, status));

    public History Append(int client, string key, string value, long call, long returned, OperationStatus status = OperationStatus.Completed) =>
        Add(new Operation(client, OperationKind.Append, key, value, null, null, call * Millisecond, returned * Millisecond, status));

    public History Delete(int client, string key, long call, long returned, OperationStatus status = OperationStatus.Completed) =>
        Add(new Operation(client, OperationKind.Delete, key, null, null, null, call * Millisecond, returned * Millisecond, status));

    public History Cas(int client, string key, string expected, string value, bool? swapped, long call, long returned) =>
        Add(new Operation(client, OperationKind.Cas, key, value, expected, swapped?.ToString().ToLowerInvariant(),
            call * Millisecond, returned * Millisecond, swapped is null ? OperationStatus.Unknown : OperationStatus.Completed));

    public History DeleteFound(int client, string key, bool found, long call, long returned) =>
        Add(new Operation(client, OperationKind.Delete, key, null, null, found ? "true" : "false", call * Millisecond, returned * Millisecond, OperationStatus.Completed));

    public History CasFound(int client, string key, string expected, string value, string current, long call, long returned) =>
        Add(new Operation(client, OperationKind.Cas, key, value, expected, "false", call * Millisecond, returned * Millisecond, OperationStatus.Completed)
        {
            Current = current,
        });

    public CheckResult Check(CheckOptions? options = null) => HistoryChecker.Check(_operations, options);

    private History Add(Operation operation)
    {
        _operations.Add(operation);
        return this;
    }
}
