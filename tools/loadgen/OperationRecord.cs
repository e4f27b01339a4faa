// Goal: what one operation did and when, kept per client during the run and analysed after it.
using KvRaft.Linearizability;

namespace KvRaft.Loadgen;

/// <summary>One operation: its arguments, result and times (nanoseconds on <see cref="Clock"/>).</summary>
/// <param name="Client">The logical client.</param>
/// <param name="Kind">The operation.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">Argument of put, append and cas.</param>
/// <param name="Expected">Expected value of cas (null = absent).</param>
/// <param name="Output">What get read ("" when absent) or "true"/"false" for cas; null when not completed.</param>
/// <param name="IntendedNanoseconds">When it should have started (open loop), else its call time.</param>
/// <param name="CallNanoseconds">When it was issued.</param>
/// <param name="ReturnNanoseconds">When it ended.</param>
/// <param name="Ok">true: completed; false: certainly not applied; null: unknown.</param>
/// <param name="Error">The error's type name, or null.</param>
public readonly record struct OperationRecord(
    int Client,
    OperationKind Kind,
    string Key,
    string? Value,
    string? Expected,
    string? Output,
    long IntendedNanoseconds,
    long CallNanoseconds,
    long ReturnNanoseconds,
    bool? Ok,
    string? Error)
{
    /// <summary>True for operations that may change the key (every kind but get).</summary>
    public bool IsWrite => Kind != OperationKind.Get;

    /// <summary>Latency measured from the intended start (corrects coordinated omission).</summary>
    public long LatencyNanoseconds => ReturnNanoseconds - IntendedNanoseconds;

    /// <summary>The history line's operation for the checker.</summary>
    public Operation ToOperation() => new(
        Client,
        Kind,
        Key,
        Value,
        Kind == OperationKind.Cas ? Expected ?? "" : null,
        Ok == true ? Output : null,
        CallNanoseconds,
        ReturnNanoseconds,
        Ok switch { true => OperationStatus.Completed, false => OperationStatus.Failed, null => OperationStatus.Unknown });
}
