namespace KvRaft.Storage;

/// <summary>
/// The portable snapshot of a state machine on disk (<c>snapshots/snapshot.kvs</c>) and the two writers that replace
/// it: the node's own export (in the background, reading the store) and an install from a leader (on the event loop,
/// replacing the store). They write under one gate, each to a temporary file of its own; an install cancels an export
/// in progress and waits for it to let go of the store before the store goes; the latest snapshot (file and
/// <see cref="Latest"/>) never moves to a lower index.
/// </summary>
internal sealed class SnapshotPublisher
{
    private readonly IFileSystem _files;
    private readonly string _directory;
    private readonly int _chunkBytes;
    private readonly Lock _gate = new();
    private FileSnapshot? _latest;
    private ExportTicket? _exporting; // the export begun last; an install cancels it

    public SnapshotPublisher(IFileSystem files, string directory, int chunkBytes)
    {
        _files = files;
        _directory = directory;
        _chunkBytes = chunkBytes;
        DirectorySync.CreateDurably(files, directory);
        foreach (var temporary in files.ListFiles(directory).Where(path => path.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            files.DeleteFile(temporary); // left by a kill while writing
        }
        if (files.FileExists(SnapshotPath))
        {
            using var stream = files.Open(SnapshotPath, FileMode.Open, FileAccess.Read);
            _latest = new FileSnapshot(SnapshotFile.Verify(SnapshotPath, stream).Info, SnapshotPath, chunkBytes);
        }
    }

    /// <summary>The latest snapshot, or null before the first.</summary>
    public FileSnapshot? Latest => Volatile.Read(ref _latest);

    public string SnapshotPath => Path.Combine(_directory, "snapshot.kvs");

    private string ExportTemporary => SnapshotPath + ".export.tmp";

    private string InstallTemporary => SnapshotPath + ".install.tmp";

    /// <summary>Begins an export of the state as it is now (call under the state machine's apply gate).</summary>
    public ExportTicket BeginExport()
    {
        var ticket = new ExportTicket();
        Volatile.Write(ref _exporting, ticket);
        return ticket;
    }

    /// <summary>
    /// Writes the export's file and makes it the latest; false (nothing replaced, its temporary file gone) when an
    /// install cancelled it or a newer snapshot is already the latest.
    /// </summary>
    public bool TryPublishExport(ExportTicket ticket, SnapshotInfo info, IEnumerable<SnapshotRecord> records)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_gate)
        {
            if (ticket.Cancelled || Latest is { } current && current.Info.Index > info.Index)
            {
                return false;
            }
            try
            {
                WriteFile(ExportTemporary, info, ticket.Watch(records));
            }
            catch (OperationCanceledException)
            {
                _files.DeleteFile(ExportTemporary);
                return false;
            }
            ReplaceDurably(ExportTemporary);
            Volatile.Write(ref _latest, new FileSnapshot(info, SnapshotPath, _chunkBytes));
            return true;
        }
    }

    /// <summary>
    /// Installs <paramref name="snapshot"/>: cancels an export in progress and waits for it to stop reading the store;
    /// the snapshot's file becomes the latest, then <paramref name="replaceStore"/> swaps the store. In that order: a
    /// kill between the two leaves a latest snapshot ahead of the store, still committed state a leader may send,
    /// where the other order would leave one behind the log's boundary, which no follower could continue from.
    /// </summary>
    public void Install(SnapshotFile snapshot, Action replaceStore)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(replaceStore);
        Volatile.Read(ref _exporting)?.Cancel();
        lock (_gate)
        {
            // The staged file (verified by the installer) is copied in, synced, renamed over the latest.
            using (var input = new FileStream(snapshot.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = _files.Open(InstallTemporary, FileMode.Create, FileAccess.Write))
            {
                input.CopyTo(output);
                _files.SyncFile(output);
            }
            ReplaceDurably(InstallTemporary);
            Volatile.Write(ref _latest, new FileSnapshot(snapshot.Info, SnapshotPath, _chunkBytes));
            replaceStore();
        }
    }

    private void WriteFile(string path, SnapshotInfo info, IEnumerable<SnapshotRecord> records)
    {
        using var output = _files.Open(path, FileMode.Create, FileAccess.Write);
        SnapshotFile.Write(output, info, records, _chunkBytes);
        _files.SyncFile(output);
    }

    /// <summary>
    /// Renames a synced <paramref name="temporary"/> over the latest snapshot and syncs the folder: only then does the
    /// new name survive a power cut (before, ext4 may bring back the old file, or none).
    /// </summary>
    private void ReplaceDurably(string temporary)
    {
        _files.Move(temporary, SnapshotPath);
        DirectorySync.SyncParent(_files, SnapshotPath);
    }
}

/// <summary>One export in progress; an install cancels it (the export stops at its next record).</summary>
internal sealed class ExportTicket
{
    private volatile bool _cancelled;

    public bool Cancelled => _cancelled;

    public void Cancel() => _cancelled = true;

    /// <summary>The records, stopping with <see cref="OperationCanceledException"/> once the export is cancelled.</summary>
    public IEnumerable<SnapshotRecord> Watch(IEnumerable<SnapshotRecord> records)
    {
        foreach (var record in records)
        {
            if (_cancelled)
            {
                throw new OperationCanceledException("a snapshot install cancelled this export");
            }
            yield return record;
        }
    }
}
