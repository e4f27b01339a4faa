namespace KvRaft.Storage;

/// <summary>A stored record failed its checksum or framing before the tail: the store refuses to open.</summary>
public sealed class StorageCorruptException : Exception
{
    /// <summary>Creates the exception naming the file and byte offset of the bad record.</summary>
    public StorageCorruptException(string file, long offset, string detail)
        : base($"Corrupt record in {file} at offset {offset}: {detail}")
    {
        File = file;
        Offset = offset;
    }

    /// <summary>Creates the exception with a message.</summary>
    public StorageCorruptException(string message) : base(message) { File = ""; }

    /// <summary>Creates the exception with no detail.</summary>
    public StorageCorruptException() { File = ""; }

    /// <summary>Creates the exception with an inner exception.</summary>
    public StorageCorruptException(string message, Exception innerException) : base(message, innerException) { File = ""; }

    /// <summary>The file that holds the bad record.</summary>
    public string File { get; }

    /// <summary>The byte offset of the bad record within <see cref="File"/>.</summary>
    public long Offset { get; }
}

/// <summary>
/// The store hit a write error (disk full, device failure) and is faulted: every later append or commit
/// throws this, and nothing after the last successful commit was acknowledged.
/// </summary>
public sealed class StorageFailedException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public StorageFailedException(string message) : base(message) { }

    /// <summary>Creates the exception with no detail.</summary>
    public StorageFailedException() { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public StorageFailedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A snapshot of the node's own was abandoned because a snapshot installed from the leader replaced the state it
/// was taken of (the installed one is newer and is the latest now). An <see cref="InvalidOperationException"/>, so
/// a caller that handles failed snapshots handles this one.
/// </summary>
public sealed class SnapshotSupersededException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public SnapshotSupersededException(string message) : base(message) { }

    /// <summary>Creates the exception with no detail.</summary>
    public SnapshotSupersededException() { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public SnapshotSupersededException(string message, Exception innerException) : base(message, innerException) { }
}
