// Goal: from a history, the value each key must hold at the end, where the acknowledged writes determine it.
using KvRaft.Linearizability;

namespace KvRaft.Loadgen.Tests;

internal static class AcknowledgedWrites
{
    /// <summary>
    /// Keys whose final value is known: an acknowledged put that every other write that may have
    /// applied (acknowledged or unknown) certainly precedes. Unknown writes may apply at any time, so
    /// any unknown write on a key makes it undetermined.
    /// </summary>
    public static Dictionary<string, string> FinalValues(IEnumerable<OperationRecord> records)
    {
        var finals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in records.Where(r => r.IsWrite && r.Ok != false).GroupBy(r => r.Key, StringComparer.Ordinal))
        {
            OperationRecord[] writes = [.. key];
            OperationRecord? last = writes
                .Where(w => w.Kind == OperationKind.Put && w.Ok == true)
                .Cast<OperationRecord?>()
                .FirstOrDefault(w => writes.All(other => other == w || (other.Ok == true && other.ReturnNanoseconds < w!.Value.CallNanoseconds)));
            if (last is { } put) finals[key.Key] = put.Value!;
        }
        return finals;
    }
}
