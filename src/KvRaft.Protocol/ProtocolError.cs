namespace KvRaft.Protocol;

/// <summary>Why bytes from the wire were refused. <see cref="None"/> means they were accepted.</summary>
public enum ProtocolError : byte
{
    /// <summary>No error: the bytes were accepted.</summary>
    None = 0,
    /// <summary>The input ended before a field that the layout requires.</summary>
    Truncated = 1,
    /// <summary>A length or count exceeds its limit in <see cref="ProtocolLimits"/>.</summary>
    TooLarge = 2,
    /// <summary>A frame type, message type, op, status or other enumerated code is not known.</summary>
    UnknownType = 3,
    /// <summary>The frame (or a versioned payload) carries a version this build does not speak.</summary>
    BadVersion = 4,
    /// <summary>The bytes are inconsistent: reserved bits set, trailing bytes, bad UTF-8, lengths that disagree.</summary>
    Malformed = 5,
    /// <summary>A payload's checksum does not match its bytes.</summary>
    ChecksumMismatch = 6,
    /// <summary>A peer hello names another cluster.</summary>
    ClusterMismatch = 7,
    /// <summary>A peer hello is addressed to another node.</summary>
    WrongNode = 8,
    /// <summary>A peer hello announces another cluster shape (<see cref="ClusterShape"/>: --groups, shards, --peers).</summary>
    ShapeMismatch = 9,
}

/// <summary>
/// The outcome of a parse: <see cref="ProtocolError.None"/>, or an error with a fixed human-readable
/// message (a string constant: building a result never allocates).
/// </summary>
public readonly record struct ParseResult(ProtocolError Error, string Message)
{
    /// <summary>The accepted outcome.</summary>
    public static ParseResult Ok => new(ProtocolError.None, "");

    /// <summary>True when the bytes were accepted.</summary>
    public bool IsOk => Error == ProtocolError.None;

    /// <summary>Shorthand for a refused outcome.</summary>
    public static ParseResult Fail(ProtocolError error, string message) => new(error, message);

    /// <inheritdoc />
    public override string ToString() => IsOk ? "Ok" : Error + ": " + Message;
}
