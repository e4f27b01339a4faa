namespace KvRaft.Linearizability;

/// <summary>The fields of one history line as read, before validation.</summary>
internal struct LineFields
{
    public int? Client;
    public string? Op;
    public string? Key;
    public string? Value;
    public string? Expected;
    public string? Output;
    public long? Call;
    public long? Return;
    public OperationStatus? Status;

    /// <summary>Checks the format's rules and builds the operation.</summary>
    public readonly Operation ToOperation(int line)
    {
        var client = Client ?? throw Missing(line, "client");
        var key = Key ?? throw Missing(line, "key");
        var call = Call ?? throw Missing(line, "call");
        var status = Status ?? throw Missing(line, "ok");
        var kind = ParseKind(Op ?? throw Missing(line, "op"), line);
        var returned = ReadReturn(call, status, line);
        CheckArguments(kind, status, line);
        return new Operation(client, kind, key, Value, Expected, Output, call, returned, status) { Line = line };
    }

    private readonly long ReadReturn(long call, OperationStatus status, int line)
    {
        if (Return is null)
        {
            return status == OperationStatus.Unknown ? long.MaxValue : throw Missing(line, "return");
        }
        if (Return.Value < call)
        {
            throw new HistoryFormatException(line, $"return {Return.Value} is before call {call}");
        }
        return Return.Value;
    }

    private readonly void CheckArguments(OperationKind kind, OperationStatus status, int line)
    {
        var completed = status == OperationStatus.Completed;
        switch (kind)
        {
            case OperationKind.Get when completed && Output is null:
                throw Missing(line, "output");
            case OperationKind.Put or OperationKind.Append when Value is null:
                throw Missing(line, "value");
            case OperationKind.Cas when Value is null:
                throw Missing(line, "value");
            case OperationKind.Cas when Expected is null:
                throw Missing(line, "expected");
            case OperationKind.Cas when completed && Output is not ("true" or "false"):
                throw new HistoryFormatException(line, "a completed cas needs \"output\": \"true\" or \"false\"");
        }
    }

    private static OperationKind ParseKind(string op, int line) => op switch
    {
        "get" => OperationKind.Get,
        "put" => OperationKind.Put,
        "append" => OperationKind.Append,
        "delete" => OperationKind.Delete,
        "cas" => OperationKind.Cas,
        _ => throw new HistoryFormatException(line, $"unknown op \"{op}\" (get, put, append, delete, cas)"),
    };

    private static HistoryFormatException Missing(int line, string field) =>
        new(line, $"missing field \"{field}\"");
}
