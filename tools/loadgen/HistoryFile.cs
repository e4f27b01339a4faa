// Goal: write a run's history as JSON Lines in the shared history format (shared/history-format.md).
using System.Text.Json;
using KvRaft.Linearizability;

namespace KvRaft.Loadgen;

/// <summary>Writes operations in the history format; cas lines carry "expected" and an "output" of "true"/"false".</summary>
public static class HistoryFile
{
    /// <summary>Writes <paramref name="records"/>, one line each, ordered by call time.</summary>
    public static void Write(string path, IEnumerable<OperationRecord> records)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);
        foreach (OperationRecord record in records.OrderBy(r => r.CallNanoseconds))
        {
            WriteLine(writer, record.ToOperation());
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
        }
    }

    private static void WriteLine(Utf8JsonWriter writer, Operation operation)
    {
        writer.WriteStartObject();
        writer.WriteNumber("client", operation.Client);
        writer.WriteString("op", operation.Kind.ToString().ToLowerInvariant());
        writer.WriteString("key", operation.Key);
        if (operation.Value is not null) writer.WriteString("value", operation.Value);
        if (operation.Expected is not null) writer.WriteString("expected", operation.Expected);
        if (operation.Output is not null) writer.WriteString("output", operation.Output);
        writer.WriteNumber("call", operation.CallNanoseconds);
        writer.WriteNumber("return", operation.ReturnNanoseconds);
        writer.WritePropertyName("ok");
        switch (operation.Status)
        {
            case OperationStatus.Completed: writer.WriteBooleanValue(true); break;
            case OperationStatus.Failed: writer.WriteBooleanValue(false); break;
            default: writer.WriteNullValue(); break;
        }
        writer.WriteEndObject();
    }
}
