namespace KvRaft.Storage;

/// <summary>
/// Makes a completed FasterKV checkpoint durable as a tree, then deletes the older ones. FASTER writes each checkpoint
/// file write-through but never syncs a folder, and with its own <c>RemoveOutdatedCheckpoints</c> it deletes the
/// previous checkpoint as soon as the new one's metadata is written: a power cut could then keep the deletion and
/// lose the new checkpoint's names, leaving no checkpoint at all (FASTER then opens an empty store, silently). So
/// FASTER removes nothing; after each checkpoint every folder of the tree is synced, and only then are the other
/// checkpoints deleted (a deletion lost at a crash leaves an older checkpoint that FASTER does not prefer). A
/// log-only checkpoint names the index part it is recovered with in a file of its own beside its log part.
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

    /// <summary>
    /// Deletes every log part but <paramref name="keepLog"/>'s and every index part but <paramref name="keepIndex"/>'s
    /// (log parts first: a log part never outlives the index part it names), then syncs their folders.
    /// </summary>
    public static void DeleteAllBut(IFileSystem files, string storeDirectory, Guid keepLog, Guid keepIndex)
    {
        DeleteAllBut(files, Path.Combine(Of(storeDirectory), LogParts), keepLog.ToString());
        DeleteAllBut(files, Path.Combine(Of(storeDirectory), IndexParts), keepIndex.ToString());
    }

    private static void DeleteAllBut(IFileSystem files, string folder, string keep)
    {
        var deleted = false;
        foreach (var checkpoint in files.ListDirectories(folder))
        {
            if (Path.GetFileName(checkpoint) != keep)
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

    /// <summary>
    /// Writes and syncs, beside the log part of the log-only checkpoint <paramref name="log"/>, the token of the index part
    /// it is recovered with (before the tree is synced: a checkpoint whose file is missing or short is not complete).
    /// </summary>
    public static void WriteIndexPart(IFileSystem files, string storeDirectory, Guid log, Guid index)
    {
        using var stream = files.Open(IndexPartFile(storeDirectory, log), FileMode.Create, FileAccess.Write);
        stream.Write(index.ToByteArray());
        files.SyncFile(stream);
    }

    /// <summary>
    /// Every checkpoint whose log part's metadata is there with the index part it names (a log-only checkpoint: the
    /// file beside it, whole; a full one: its own token), as (log token, index token), in the folder's order. A log part
    /// whose name is not a token or whose index part is gone or unnamed is skipped: it was never reported durable, or its
    /// deletion was cut short (the checkpoint that replaced it is durable).
    /// </summary>
    public static IEnumerable<(Guid Log, Guid Index)> CompleteCheckpoints(IFileSystem files, string storeDirectory)
    {
        var folder = Of(storeDirectory);
        var found = new List<(Guid, Guid)>();
        foreach (var part in files.ListDirectories(Path.Combine(folder, LogParts)))
        {
            if (!Guid.TryParse(Path.GetFileName(part), out var log) || !files.FileExists(Path.Combine(part, InfoFile)))
            {
                continue;
            }
            var index = log;
            var named = IndexPartFile(storeDirectory, log);
            if (files.FileExists(named) && !TryReadToken(files, named, out index))
            {
                continue;
            }
            if (files.FileExists(Path.Combine(folder, IndexParts, index.ToString(), InfoFile)))
            {
                found.Add((log, index));
            }
        }
        return found;
    }

    private const string LogParts = "cpr-checkpoints";
    private const string IndexParts = "index-checkpoints";
    private const string InfoFile = "info.dat.0";
    private const string IndexPartName = "kvraft-index-part";

    private static string IndexPartFile(string storeDirectory, Guid log) => Path.Combine(Of(storeDirectory), LogParts, log.ToString(), IndexPartName);

    private static bool TryReadToken(IFileSystem files, string path, out Guid token)
    {
        token = Guid.Empty;
        Span<byte> bytes = stackalloc byte[16];
        using var stream = files.Open(path, FileMode.Open, FileAccess.Read);
        if (stream.Length != bytes.Length)
        {
            return false; // cut short by a crash before its sync
        }
        stream.ReadExactly(bytes);
        token = new Guid(bytes);
        return token != Guid.Empty;
    }
}
