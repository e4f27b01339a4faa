using System.Buffers;
using System.Text;

namespace KvRaft.Linearizability;

/// <summary>Reads a JSON Lines history, streaming one line at a time. Blank lines are skipped.</summary>
public static class HistoryReader
{
    /// <summary>Reads every operation of the file at <paramref name="path"/>.</summary>
    public static IEnumerable<Operation> ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        foreach (var operation in Read(reader))
        {
            yield return operation;
        }
    }

    /// <summary>Reads every operation from <paramref name="reader"/>.</summary>
    public static IEnumerable<Operation> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var line = 0;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }
                var length = Encode(text, ref buffer);
                yield return LineParser.Parse(buffer.AsSpan(0, length), line);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses one line of text (for tests and tools).</summary>
    public static Operation ParseLine(string text, int line = 1) =>
        LineParser.Parse(Encoding.UTF8.GetBytes(text), line);

    private static int Encode(string text, ref byte[] buffer)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (needed > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(needed);
        }
        return Encoding.UTF8.GetBytes(text, buffer);
    }
}
