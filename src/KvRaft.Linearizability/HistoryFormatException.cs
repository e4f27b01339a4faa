namespace KvRaft.Linearizability;

/// <summary>A history line that does not follow the format; names the line.</summary>
public sealed class HistoryFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="line"/> (1-based).</summary>
    public HistoryFormatException(int line, string reason, Exception? inner = null)
        : base($"history line {line}: {reason}", inner)
    {
        Line = line;
        Reason = reason;
    }

    /// <summary>Creates an error without a line.</summary>
    public HistoryFormatException() : this(0, "malformed history")
    {
    }

    /// <summary>Creates an error without a line.</summary>
    public HistoryFormatException(string message) : this(0, message)
    {
    }

    /// <summary>Creates an error without a line.</summary>
    public HistoryFormatException(string message, Exception innerException) : this(0, message, innerException)
    {
    }

    /// <summary>The 1-based line number of the malformed line.</summary>
    public int Line { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}
