namespace KvRaft.Storage;

/// <summary>The state machine's own files (CURRENT, snapshot.kvs): replaced so that a power cut keeps the old or the new.</summary>
public sealed partial class FasterKvStateMachine
{
    /// <summary>
    /// Renames a synced <paramref name="temporary"/> over <paramref name="target"/> and syncs their folder: only then
    /// does the new name survive a power cut (before, ext4 may bring back the old file, or none).
    /// </summary>
    private void ReplaceDurably(string temporary, string target)
    {
        files.Move(temporary, target);
        DirectorySync.SyncParent(files, target);
    }

    /// <summary>Copies a verified snapshot file (staged by the installer) to <paramref name="target"/>, synced, then renamed in.</summary>
    private void CopyDurably(string source, string target)
    {
        var temporary = target + ".tmp";
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var output = files.Open(temporary, FileMode.Create, FileAccess.Write))
        {
            input.CopyTo(output);
            files.SyncFile(output);
        }
        ReplaceDurably(temporary, target);
    }
}
