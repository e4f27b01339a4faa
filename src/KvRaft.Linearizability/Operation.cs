namespace KvRaft.Linearizability;

/// <summary>The operations of the store's key-value model (cas is this checker's extension).</summary>
public enum OperationKind
{
    /// <summary>Reads the value; "" when absent.</summary>
    Get,
    /// <summary>Sets the value.</summary>
    Put,
    /// <summary>Concatenates to the value; creates the key when absent.</summary>
    Append,
    /// <summary>Removes the key.</summary>
    Delete,
    /// <summary>Compare-and-swap: sets the value only if it equals the expected one ("" = absent).</summary>
    Cas,
}

/// <summary>The `ok` field of a history line.</summary>
public enum OperationStatus
{
    /// <summary>`ok: true`: completed with the recorded result.</summary>
    Completed,
    /// <summary>`ok: false`: certainly did not take effect.</summary>
    Failed,
    /// <summary>`ok: null`: may take effect at any time after its call, or never.</summary>
    Unknown,
}

/// <summary>One line of a history: what one client asked, what it got back, and when.</summary>
/// <param name="Client">The logical client that issued the operation.</param>
/// <param name="Kind">The operation.</param>
/// <param name="Key">The key it touched.</param>
/// <param name="Value">The argument of put, append and cas (the new value); null otherwise.</param>
/// <param name="Expected">The expected value of cas ("" = absent); null otherwise.</param>
/// <param name="Output">What get read, or "true"/"false" for cas; null otherwise.</param>
/// <param name="CallNanoseconds">When the request was issued.</param>
/// <param name="ReturnNanoseconds">When the answer arrived (or the client gave up).</param>
/// <param name="Status">Whether it completed, failed, or has an unknown outcome.</param>
public sealed record Operation(
    int Client,
    OperationKind Kind,
    string Key,
    string? Value,
    string? Expected,
    string? Output,
    long CallNanoseconds,
    long ReturnNanoseconds,
    OperationStatus Status)
{
    /// <summary>
    /// A completed cas that did not swap: the value it found ("" = absent), when the store reported it. Set only
    /// in memory (the simulator); the model then checks it as a read at the cas's point.
    /// </summary>
    public string? Current { get; init; }

    /// <summary>The 1-based line of the history file it came from; 0 when built in memory.</summary>
    public int Line { get; init; }

    /// <summary>True when the checker ignores it: failed operations and gets of unknown outcome.</summary>
    public bool IsIgnored => Status == OperationStatus.Failed
        || (Status == OperationStatus.Unknown && Kind == OperationKind.Get);
}
