namespace KvRaft.Storage;

/// <summary>
/// The records of a staged snapshot that the layers above the store read back once it is installed: the shard states
/// record (<see cref="IKvStateMachine.ShardState"/>) and the extension records (<see cref="IExtensionRecords"/>, the
/// shard controller's configurations). Collected while the file is verified (puts and deletes replayed in order, as the
/// install replays them), so that they can be checked before the snapshot replaces anything: a peer's snapshot that the
/// node could not reload is refused while the node still runs on its old state. Read only; bounded by the snapshot's
/// size (<c>SnapshotBytesMax</c>), which the transfer bounds.
/// </summary>
public sealed class StagedSnapshotState : IExtensionRecords
{
    private readonly Dictionary<byte[], byte[]> _extension = new(ByteArrayComparer.Instance);

    /// <summary>The shard states record the snapshot installs (empty: none).</summary>
    public byte[] ShardState { get; private set; } = [];

    /// <inheritdoc/>
    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        var storeKey = new byte[key.Length + 1];
        storeKey[0] = KvKeys.ExtensionSpace;
        key.CopyTo(storeKey.AsSpan(1));
        return _extension.TryGetValue(storeKey, out var value) ? [.. value] : null;
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => throw new InvalidOperationException("a staged snapshot's records are read only");

    /// <inheritdoc/>
    public void Remove(ReadOnlySpan<byte> key) => throw new InvalidOperationException("a staged snapshot's records are read only");

    /// <summary>Takes a record of the file, in order (a null value: a delete), if it is one of those collected.</summary>
    internal void Take(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value, bool put)
    {
        if (storeKey.SequenceEqual(KvKeys.ShardStateKey))
        {
            ShardState = put ? value.ToArray() : [];
        }
        else if (storeKey.Length > 0 && storeKey[0] == KvKeys.ExtensionSpace)
        {
            if (put)
            {
                _extension[storeKey.ToArray()] = value.ToArray();
            }
            else
            {
                _extension.Remove(storeKey.ToArray());
            }
        }
    }
}
