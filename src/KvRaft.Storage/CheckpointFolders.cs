namespace KvRaft.Storage;

/// <summary>
/// Makes a completed FasterKV checkpoint durable as a tree, then deletes the older ones. FASTER writes each checkpoint
/// file write-through but never syncs a folder, and with its own <c>RemoveOutdatedCheckpoints</c> it deletes the
/// previous checkpoint as soon as the new one's metadata is written: a power cut could then keep the deletion and
/// lose the new checkpoint's names, leaving no checkpoint at all (FASTER then opens an empty store, silently). So
/// FASTER removes nothing; after each checkpoint every folder of the tree is synced, and only then are the other
/// checkpoints deleted (a deletion lost at a crash leaves an older checkpoint that FASTER does not prefer).
/// </summary>
internal static class CheckpointFolders
{
    /// <summary>FASTER's checkpoint folder inside a store's folder.</summary>
    public static string Of(string storeDirectory) => Path.Combine(storeDirectory, "checkpoints");

    /// <summary>Syncs the store's folder and every folder of its checkpoint tree, deepest first.</summary>
    public static void SyncTree(IFileSystem files, string storeDirectory)
    {
        SyncBelow(files, Of(storeDirectory));
        files.SyncDirectory(storeDirectory);
    }

    private static void SyncBelow(IFileSystem files, string folder)
    {
        foreach (var child in files.ListDirectories(folder))
        {
            SyncBelow(files, child);
        }
        files.SyncDirectory(folder);
    }

    /// <summary>Deletes every checkpoint but <paramref name="keep"/> (index and log parts), then syncs their folders.</summary>
    public static void DeleteAllBut(IFileSystem files, string storeDirectory, Guid keep)
    {
        var name = keep.ToString();
        foreach (var kind in new[] { "cpr-checkpoints", "index-checkpoints" })
        {
            var folder = Path.Combine(Of(storeDirectory), kind);
            var deleted = false;
            foreach (var checkpoint in files.ListDirectories(folder))
            {
                if (Path.GetFileName(checkpoint) != name)
                {
                    files.DeleteDirectory(checkpoint);
                    deleted = true;
                }
            }
            if (deleted)
            {
                files.SyncDirectory(folder);
            }
        }
    }
}
