using System.Text.Json;

namespace KvRaft.Linearizability;

/// <summary>Parses one JSON Lines record of the history format with a <see cref="Utf8JsonReader"/>.</summary>
internal static class LineParser
{
    /// <summary>Parses <paramref name="json"/>, the UTF-8 text of line <paramref name="line"/>.</summary>
    public static Operation Parse(ReadOnlySpan<byte> json, int line)
    {
        try
        {
            var fields = new LineFields();
            var reader = new Utf8JsonReader(json);
            ReadObject(ref reader, ref fields, line);
            return fields.ToOperation(line);
        }
        catch (JsonException error)
        {
            throw new HistoryFormatException(line, $"invalid JSON: {error.Message}", error);
        }
    }

    private static void ReadObject(ref Utf8JsonReader reader, ref LineFields fields, int line)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new HistoryFormatException(line, "expected one JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            ReadField(ref reader, ref fields, name, line);
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new HistoryFormatException(line, "expected one JSON object and nothing after it");
        }
    }

    private static void ReadField(ref Utf8JsonReader reader, ref LineFields fields, string name, int line)
    {
        switch (name)
        {
            case "client": fields.Client = (int)ReadInteger(ref reader, name, line); break;
            case "op": fields.Op = ReadString(ref reader, name, line); break;
            case "key": fields.Key = ReadString(ref reader, name, line); break;
            case "value": fields.Value = ReadString(ref reader, name, line); break;
            case "expected": fields.Expected = ReadString(ref reader, name, line); break;
            case "output": fields.Output = ReadString(ref reader, name, line); break;
            case "call": fields.Call = ReadInteger(ref reader, name, line); break;
            case "return": fields.Return = ReadInteger(ref reader, name, line); break;
            case "ok": fields.Status = ReadStatus(ref reader, line); break;
            default: reader.Skip(); break;
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string name, int line)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new HistoryFormatException(line, $"field \"{name}\" must be a string, not {reader.TokenType}");
        }
        return reader.GetString()!;
    }

    private static long ReadInteger(ref Utf8JsonReader reader, string name, int line)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw new HistoryFormatException(line, $"field \"{name}\" must be an integer");
        }
        if (name == "client" && value is < int.MinValue or > int.MaxValue)
        {
            throw new HistoryFormatException(line, "field \"client\" is out of range");
        }
        return value;
    }

    private static OperationStatus ReadStatus(ref Utf8JsonReader reader, int line) => reader.TokenType switch
    {
        JsonTokenType.True => OperationStatus.Completed,
        JsonTokenType.False => OperationStatus.Failed,
        JsonTokenType.Null => OperationStatus.Unknown,
        _ => throw new HistoryFormatException(line, "field \"ok\" must be true, false or null"),
    };
}
