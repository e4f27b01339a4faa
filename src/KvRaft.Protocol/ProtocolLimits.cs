namespace KvRaft.Protocol;

/// <summary>
/// Every size limit of the wire formats, in one place. A parser refuses (with
/// <see cref="ProtocolError.TooLarge"/>) any length or count above these; a formatter asserts it
/// never writes one.
/// </summary>
public static class ProtocolLimits
{
    /// <summary>The wire-format version written in every frame header.</summary>
    public const byte Version = 1;

    /// <summary>Largest frame, counted as the header's length field counts: version + type + body.</summary>
    public const int FrameBytesMax = 16 * 1024 * 1024;

    /// <summary>Largest key.</summary>
    public const int KeyBytesMax = 1024;

    /// <summary>Largest value (also an expected value of a compare-and-set).</summary>
    public const int ValueBytesMax = 1024 * 1024;

    /// <summary>Most entries in one peer message.</summary>
    public const int EntriesPerAppendMax = 8192;

    /// <summary>Largest data of one log entry (a command batch is one entry).</summary>
    public const int EntryDataBytesMax = 8 * 1024 * 1024;

    /// <summary>Largest entries block of one peer message once decompressed (guards against compression bombs).</summary>
    public const int EntriesBlockBytesMax = 32 * 1024 * 1024;

    /// <summary>Most voters in a snapshot's configuration.</summary>
    public const int VotersMax = 64;

    /// <summary>Largest snapshot chunk payload, stored or decompressed.</summary>
    public const int SnapshotChunkBytesMax = 4 * 1024 * 1024;

    /// <summary>Most commands in one command batch (one log entry).</summary>
    public const int CommandsPerBatchMax = 4096;

    /// <summary>Largest encoded command batch: it must fit in one log entry.</summary>
    public const int CommandBatchBytesMax = EntryDataBytesMax;

    /// <summary>Largest UTF-8 text field (error messages, client addresses).</summary>
    public const int TextBytesMax = 1024;
}
