using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// Every file and folder operation of the stores, so that a test can put a simulated disk underneath (one that
/// loses what was never synced at a crash). Nothing here is durable until synced: a file's bytes by
/// <see cref="SyncFile"/> (or a write-through open), a name created, renamed or deleted by
/// <see cref="SyncDirectory"/> on its parent folder.
/// </summary>
internal interface IFileSystem
{
    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Creates the folder and any missing ancestors (their names are not yet durable).</summary>
    void CreateDirectory(string path);

    /// <summary>Full paths of the sub-folders, most recently written first (FASTER picks checkpoints in this order).</summary>
    IReadOnlyList<string> ListDirectories(string path);

    /// <summary>Full paths of the files in a folder, most recently written first.</summary>
    IReadOnlyList<string> ListFiles(string path);

    long FileLength(string path);

    /// <summary>Opens a file; with <paramref name="writeThrough"/> each write is durable when it returns (O_DSYNC).</summary>
    Stream Open(string path, FileMode mode, FileAccess access, bool writeThrough = false);

    /// <summary>Makes a stream's written bytes durable (fsync).</summary>
    void SyncFile(Stream stream);

    /// <summary>Renames atomically, replacing <paramref name="to"/> if present.</summary>
    void Move(string from, string to);

    void DeleteFile(string path);

    /// <summary>Deletes a folder and everything under it.</summary>
    void DeleteDirectory(string path);

    /// <summary>Makes the names in a folder (creations, renames, deletions) durable (fsync of the folder).</summary>
    void SyncDirectory(string path);

    /// <summary>A FASTER device whose segment files are <paramref name="path"/>.N; each write is durable on completion.</summary>
    IDevice CreateDevice(string path);
}

/// <summary>The real file system.</summary>
internal sealed class LocalFileSystem : IFileSystem
{
    public static LocalFileSystem Instance { get; } = new();

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <summary>Creates the folder (and missing ancestors) readable by its owner only (0700) where modes exist.</summary>
    public void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public IReadOnlyList<string> ListDirectories(string path) => Directory.Exists(path)
        ? [.. new DirectoryInfo(path).GetDirectories().OrderByDescending(d => d.LastWriteTimeUtc).Select(d => d.FullName)]
        : [];

    public IReadOnlyList<string> ListFiles(string path) => Directory.Exists(path)
        ? [.. new DirectoryInfo(path).GetFiles().OrderByDescending(f => f.LastWriteTimeUtc).Select(f => f.FullName)]
        : [];

    public long FileLength(string path) => new FileInfo(path).Length;

    public Stream Open(string path, FileMode mode, FileAccess access, bool writeThrough = false) =>
        new FileStream(path, mode, access, (access == FileAccess.Read ? FileShare.ReadWrite : FileShare.Read) | FileShare.Delete,
            writeThrough ? 0 : 1 << 16, writeThrough ? FileOptions.WriteThrough : FileOptions.None);

    public void SyncFile(Stream stream) => ((FileStream)stream).Flush(flushToDisk: true);

    public void Move(string from, string to) => File.Move(from, to, overwrite: true);

    public void DeleteFile(string path) => File.Delete(path);

    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public void SyncDirectory(string path) => DirectorySync.Sync(path);

    public IDevice CreateDevice(string path) => Devices.CreateLogDevice(path, preallocateFile: false);
}
