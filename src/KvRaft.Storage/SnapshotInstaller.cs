namespace KvRaft.Storage;

/// <summary>
/// Installs a snapshot received in chunks: each chunk is checked (offset, CRC-32C) and written to a staging
/// file; <see cref="Complete"/> verifies the whole file (every frame's CRC, the whole-file CRC-64) before it
/// replaces anything, then the state machine swaps to it atomically and reopens from it.
/// </summary>
public sealed class SnapshotInstaller : IDisposable
{
    private readonly KvStateMachineBase _target;
    private readonly string _stagingPath;
    private readonly FileStream _staging;
    private bool _lastSeen;
    private SnapshotFile? _verified;

    /// <summary>Starts an install into <paramref name="target"/>, staging under <paramref name="stagingDirectory"/>.</summary>
    public SnapshotInstaller(KvStateMachineBase target, string stagingDirectory)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        Directory.CreateDirectory(stagingDirectory);
        _stagingPath = Path.Combine(stagingDirectory, StagingPrefix + Guid.NewGuid().ToString("N") + StagingExtension);
        _staging = new FileStream(_stagingPath, FileMode.CreateNew, FileAccess.ReadWrite);
    }

    /// <summary>
    /// Removes the staging files left under <paramref name="stagingDirectory"/> by installs that never finished (the
    /// process stopped meanwhile); called at start, before any install begins.
    /// </summary>
    /// <returns>How many files were removed.</returns>
    public static int RemoveStagingFiles(string stagingDirectory)
    {
        if (!Directory.Exists(stagingDirectory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(stagingDirectory, StagingPrefix + "*" + StagingExtension))
        {
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    private const string StagingPrefix = "incoming-";
    private const string StagingExtension = ".kvs";

    /// <summary>Bytes received so far (the offset the next chunk must have).</summary>
    public long ReceivedBytes => _staging.Length;

    /// <summary>Accepts the next chunk; throws <see cref="StorageCorruptException"/> if its CRC or offset is wrong.</summary>
    public void Accept(SnapshotChunk chunk)
    {
        if (_lastSeen || chunk.Offset != _staging.Length)
        {
            throw new ArgumentException($"Chunk at {chunk.Offset} but {_staging.Length} bytes received (last seen: {_lastSeen})");
        }
        if (Crc32C.Compute(chunk.Data.Span) != chunk.Crc)
        {
            throw new StorageCorruptException(_stagingPath, chunk.Offset, "snapshot chunk fails its checksum");
        }
        _staging.Write(chunk.Data.Span);
        _lastSeen = chunk.Last;
    }

    /// <summary>
    /// Verifies the whole snapshot once the last chunk has arrived (every frame's CRC, the whole-file CRC-64; it also
    /// decodes every frame to whole records) and returns what it covers; throws <see cref="StorageCorruptException"/> if
    /// anything fails, so that the install that follows cannot fail on the file's content; the target's extension checks
    /// the extension records the file holds (<see cref="ICommandExtension.Check"/>). Replaces nothing.
    /// </summary>
    public SnapshotInfo Verify()
    {
        if (!_lastSeen)
        {
            throw new InvalidOperationException("The last chunk has not arrived");
        }
        if (_verified is null)
        {
            _staging.Flush(flushToDisk: true);
            _staging.Dispose();
            var staged = new StagedSnapshotState();
            var verified = SnapshotFile.Verify(_stagingPath, checkRecords: true, staged);
            try
            {
                _target.Extension?.Check(staged);
            }
            catch (StorageCorruptException error)
            {
                throw new StorageCorruptException(_stagingPath, 0, error.Message);
            }
            (_verified, Staged) = (verified, staged);
        }
        return _verified.Info;
    }

    /// <summary>
    /// The records of the verified snapshot that the layers above read back (its shard states; its extension records,
    /// which <see cref="Verify"/> has had the target's extension check): null until <see cref="Verify"/> succeeded.
    /// </summary>
    public StagedSnapshotState? Staged { get; private set; }

    /// <summary>Verifies the whole snapshot (if not yet done) and installs it; nothing is replaced if verification fails.</summary>
    public SnapshotInfo Complete()
    {
        var info = Verify();
        _target.ReplaceFrom(_verified!);
        return info;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _staging.Dispose();
        File.Delete(_stagingPath);
    }
}
