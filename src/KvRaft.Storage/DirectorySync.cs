using System.Runtime.InteropServices;

namespace KvRaft.Storage;

/// <summary>
/// fsync of a folder: on Linux a new, renamed or deleted name is durable only once its parent folder is synced
/// (ext4 may lose it at a power cut even when the file's own bytes were synced). .NET opens no folder as a file,
/// so this calls open(O_RDONLY), fsync and close. Windows (NTFS journals names) needs nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY (O_DIRECTORY differs between architectures; a folder opens read-only without it)

    /// <summary>Syncs the folder <paramref name="path"/>; throws <see cref="IOException"/> when it cannot.</summary>
    public static void Sync(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        var descriptor = Open(path, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open folder {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (FileSync(descriptor) != 0)
            {
                throw new IOException($"fsync of folder {path} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>Creates <paramref name="path"/> and any missing ancestor, syncing the parent of each one created.</summary>
    public static void CreateDurably(IFileSystem files, string path)
    {
        var full = Path.GetFullPath(path);
        if (files.DirectoryExists(full))
        {
            return;
        }
        var parent = Path.GetDirectoryName(full);
        if (parent is not null)
        {
            CreateDurably(files, parent);
        }
        files.CreateDirectory(full);
        if (parent is not null)
        {
            files.SyncDirectory(parent);
        }
    }

    /// <summary>Syncs the folder that holds <paramref name="path"/> (after creating, renaming or deleting it).</summary>
    public static void SyncParent(IFileSystem files, string path) =>
        files.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? throw new ArgumentException($"{path} has no parent folder"));

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
