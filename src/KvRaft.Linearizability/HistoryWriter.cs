using System.Text.Json;

namespace KvRaft.Linearizability;

/// <summary>
/// Writes operations as a JSON Lines history in the shared format (one object per line, ordered by
/// call time); cas lines carry this checker's extension fields ("expected", "output").
/// What it writes, <see cref="HistoryReader"/> reads back unchanged.
/// </summary>
public static class HistoryWriter
{
    /// <summary>Writes <paramref name="operations"/> to a new file at <paramref name="path"/>.</summary>
    public static void WriteFile(string path, IEnumerable<Operation> operations)
    {
        using var stream = File.Create(path);
        Write(stream, operations);
    }

    /// <summary>Writes <paramref name="operations"/> to <paramref name="stream"/>, one line each.</summary>
    public static void Write(Stream stream, IEnumerable<Operation> operations)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(operations);
        using var writer = new Utf8JsonWriter(stream);
        foreach (var operation in operations.OrderBy(o => o.CallNanoseconds))
        {
            WriteLine(writer, operation);
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
        if (operation.Value is not null)
        {
            writer.WriteString("value", operation.Value);
        }

        if (operation.Expected is not null)
        {
            writer.WriteString("expected", operation.Expected);
        }

        if (operation.Output is not null)
        {
            writer.WriteString("output", operation.Output);
        }

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
