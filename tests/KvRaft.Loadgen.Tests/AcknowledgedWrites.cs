// Goal: from a history, what the final value of each key must show of the acknowledged writes.
using KvRaft.Linearizability;

namespace KvRaft.Loadgen.Tests;

/// <summary>
/// An acknowledged write the end state must reflect: <see cref="Value"/> is the key's final value
/// (<see cref="Exact"/>), or a part of it (later appends may follow it).
/// </summary>
internal sealed record Expectation(string Key, string Value, bool Exact, OperationRecord Write);

internal static class AcknowledgedWrites
{
    /// <summary>
    /// For every acknowledged write (put, append, and cas that swapped), what the final value must
    /// show of it. A write that may have applied after it (acknowledged or unknown, and not certainly
    /// finished before it was called) and that replaces the value (put, delete, a cas not known to
    /// have failed) may have erased it: no expectation. Otherwise its value (unique per write) must
    /// be in the final value; and when no other write at all may have applied after it, a put or cas
    /// must be the final value exactly.
    /// </summary>
    public static List<Expectation> Expectations(IEnumerable<OperationRecord> records)
    {
        var expectations = new List<Expectation>();
        foreach (var key in records.Where(MayChange).GroupBy(r => r.Key, StringComparer.Ordinal))
        {
            OperationRecord[] writes = [.. key];
            foreach (var write in writes.Where(IsAcknowledgedChange))
            {
                OperationRecord[] later = [.. writes.Where(other => other != write && !(other.Ok == true && other.ReturnNanoseconds < write.CallNanoseconds))];
                if (later.Any(Replaces))
                {
                    continue;
                }

                expectations.Add(new Expectation(key.Key, write.Value!, later.Length == 0 && write.Kind != OperationKind.Append, write));
            }
        }
        return expectations;
    }

    /// <summary>Writes that may have changed their key: all but those certainly not applied and the cas known to have failed.</summary>
    private static bool MayChange(OperationRecord write) =>
        write.IsWrite && write.Ok != false && !(write.Kind == OperationKind.Cas && write.Ok == true && write.Output == "false");

    private static bool IsAcknowledgedChange(OperationRecord write) =>
        write.Ok == true && (write.Kind is OperationKind.Put or OperationKind.Append || (write.Kind == OperationKind.Cas && write.Output == "true"));

    private static bool Replaces(OperationRecord write) => write.Kind is OperationKind.Put or OperationKind.Delete or OperationKind.Cas;
}
