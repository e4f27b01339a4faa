namespace KvRaft.Storage;

/// <summary>The state machine's own files (CURRENT; the snapshot file is SnapshotPublisher's): replaced so that a power cut keeps the old or the new.</summary>
public sealed partial class FasterKvStateMachine
{
    /// <summary>
    /// Renames a synced <paramref name="temporary"/> over <paramref name="target"/> and syncs their folder: only then
    /// does the new name survive a power cut (before, ext4 may bring back the old file, or none).
    /// </summary>
    private void ReplaceDurably(string temporary, string target)
    {
        _files.Move(temporary, target);
        DirectorySync.SyncParent(_files, target);
    }
}
