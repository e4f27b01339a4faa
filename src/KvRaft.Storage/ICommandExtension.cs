namespace KvRaft.Storage;

/// <summary>
/// The records an <see cref="ICommandExtension"/> keeps in the state machine's store, in a key space of their own
/// (docs/storage-format.md, "Extension records"): written and removed only while a command applies, so snapshots,
/// installs and recovery carry them like user keys. Keys are at most <see cref="KeyMaxBytes"/> bytes.
/// </summary>
public interface IExtensionRecords
{
    /// <summary>Most bytes of an extension record's key.</summary>
    const int KeyMaxBytes = 64;

    /// <summary>A fresh copy of the record under <paramref name="key"/>, or null.</summary>
    byte[]? Read(ReadOnlySpan<byte> key);

    /// <summary>Writes the record under <paramref name="key"/> (only while a command applies).</summary>
    void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes the record under <paramref name="key"/> (only while a command applies).</summary>
    void Remove(ReadOnlySpan<byte> key);
}

/// <summary>
/// Commands a layer above storage gives meaning to (the shard controller's <see cref="KvOp.GroupJoin"/>,
/// <see cref="KvOp.GroupLeave"/>, <see cref="KvOp.ShardMove"/>): the state machine deduplicates them by session as
/// any write, then has the extension execute them, in log order, with its records. Deterministic: the result and the
/// records depend only on the command and the records.
/// </summary>
public interface ICommandExtension
{
    /// <summary>Executes <paramref name="command"/>; a refusal is <see cref="KvStatus.Refused"/> with the reason, records unchanged.</summary>
    KvResult Execute(in KvCommand command, IExtensionRecords records);

    /// <summary>The state was loaded (open, recovery) or replaced (snapshot install): rebuild from <paramref name="records"/>.</summary>
    void Reload(IExtensionRecords records);

    /// <summary>
    /// Checks records that came from elsewhere (a snapshot a peer sent, staged) before they replace the state: throws
    /// <see cref="StorageCorruptException"/> saying which record <see cref="Reload"/> could not take. Changes nothing.
    /// </summary>
    void Check(IExtensionRecords records);
}
