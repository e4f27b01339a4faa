// Goal: write a run's history as JSON Lines in the shared history format (shared/history-format.md).
using KvRaft.Linearizability;

namespace KvRaft.Loadgen;

/// <summary>Writes operations in the history format; cas lines carry "expected" and an "output" of "true"/"false".</summary>
public static class HistoryFile
{
    /// <summary>Writes <paramref name="records"/>, one line each, ordered by call time (through the checker's own writer).</summary>
    public static void Write(string path, IEnumerable<OperationRecord> records) =>
        HistoryWriter.WriteFile(path, records.Select(record => record.ToOperation()));
}
