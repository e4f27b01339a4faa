// Goal: a disk that forgets, at a crash, everything that was never synced: file bytes not yet fsynced (dropped or torn)
// and folder entries (creations, renames, deletions) whose folder was not fsynced; method: an IFileSystem over
// in-memory nodes that keep a durable state and their unsynced changes; Crash() draws what survives.
using FASTER.core;

namespace KvRaft.Storage.Tests;

/// <summary>
/// The simulated disk. Every change counts as one operation and calls <see cref="OnOperation"/> (under the disk's
/// lock) at the moment a crash would cut it: a write once it reached the page cache, a sync before it took effect.
/// Test-only switches make it ignore syncs (<see cref="IgnoreFileSyncs"/>, <see cref="IgnoreDirectorySyncs"/>) or
/// complete device writes before they are durable (<see cref="DeviceWritesVolatile"/>), to show the crash tests see it.
/// </summary>
internal sealed partial class SimDisk : IFileSystem
{
    private readonly Lock _gate = new();
    private readonly SimFolder _root;
    private long _clock;

    public SimDisk() => _root = new SimFolder(0);

    private SimDisk(SimFolder root, long clock)
    {
        _root = root;
        _clock = clock;
    }

    /// <summary>Called with each operation's number, under the disk's lock: where a crash may be drawn (<see cref="Crash"/>).</summary>
    public Action<long>? OnOperation { get; set; }

    public long Operations { get; private set; }

    /// <summary>Stops calling <see cref="OnOperation"/>; once this returns, no call is in progress (a store's late threads may still write).</summary>
    public void Detach()
    {
        lock (_gate)
        {
            OnOperation = null;
        }
    }

    public bool IgnoreFileSyncs { get; set; }

    public bool IgnoreDirectorySyncs { get; set; }

    public bool DeviceWritesVolatile { get; set; }

    /// <summary>What the last operation did (for failure messages).</summary>
    public string LastOperation { get; private set; } = "";

    private void Tick(string what)
    {
        LastOperation = what;
        Operations++;
        OnOperation?.Invoke(Operations);
    }

    private static string[] Parts(string path) => Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);

    private SimNode? Find(string path)
    {
        SimNode node = _root;
        foreach (var part in Parts(path))
        {
            if (node is not SimFolder folder || !folder.Current.TryGetValue(part, out var child))
            {
                return null;
            }
            node = child;
        }
        return node;
    }

    private SimFolder ParentOf(string path)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path)) ?? throw new ArgumentException(path);
        return Find(parent) as SimFolder ?? throw new DirectoryNotFoundException($"simulated disk: no folder {parent}");
    }

    private SimFile FileAt(string path) => Find(path) as SimFile ?? throw new FileNotFoundException($"simulated disk: no file {path}", path);

    private void ChangeFolder(SimFolder folder, params (string Name, SimNode? Node)[] names)
    {
        var change = new FolderChange(names);
        SimFolder.Apply(folder.Current, change);
        folder.Unsynced.Add(change);
        Tick("folder: " + string.Join(", ", names.Select(n => n.Node is null ? "remove " + n.Name : "add " + n.Name)));
    }

    public bool FileExists(string path)
    {
        lock (_gate)
        {
            return Find(path) is SimFile;
        }
    }

    public bool DirectoryExists(string path)
    {
        lock (_gate)
        {
            return Find(path) is SimFolder;
        }
    }

    public void CreateDirectory(string path)
    {
        lock (_gate)
        {
            var folder = _root;
            foreach (var part in Parts(path))
            {
                if (!folder.Current.TryGetValue(part, out var child))
                {
                    child = new SimFolder(++_clock);
                    ChangeFolder(folder, (part, child));
                }
                folder = child as SimFolder ?? throw new IOException($"simulated disk: {part} is a file");
            }
        }
    }

    public IReadOnlyList<string> ListDirectories(string path) => List(path, node => node is SimFolder);

    public IReadOnlyList<string> ListFiles(string path) => List(path, node => node is SimFile);

    private List<string> List(string path, Func<SimNode, bool> kind)
    {
        lock (_gate)
        {
            if (Find(path) is not SimFolder folder)
            {
                return [];
            }
            var full = Path.GetFullPath(path);
            return [.. folder.Current.Where(e => kind(e.Value)).OrderByDescending(e => e.Value.Created).Select(e => Path.Combine(full, e.Key))];
        }
    }

    public long FileLength(string path)
    {
        lock (_gate)
        {
            return FileAt(path).Current.Length;
        }
    }

    public Stream Open(string path, FileMode mode, FileAccess access, bool writeThrough = false)
    {
        lock (_gate)
        {
            var existing = Find(path);
            if (existing is SimFolder)
            {
                throw new UnauthorizedAccessException($"simulated disk: {path} is a folder");
            }
            var file = existing as SimFile;
            if (file is null && mode is FileMode.Open or FileMode.Truncate)
            {
                throw new FileNotFoundException($"simulated disk: no file {path}", path);
            }
            if (file is not null && mode == FileMode.CreateNew)
            {
                throw new IOException($"simulated disk: {path} exists");
            }
            if (file is null)
            {
                file = new SimFile(++_clock) { Name = path };
                ChangeFolder(ParentOf(path), (Path.GetFileName(path), file));
            }
            else if (mode is FileMode.Create or FileMode.Truncate)
            {
                Change(file, new FileChange(0, null, 0));
            }
            var stream = new SimStream(this, file, access, writeThrough);
            if (mode == FileMode.Append)
            {
                stream.Position = file.Current.Length;
            }
            return stream;
        }
    }

    public void SyncFile(Stream stream) => ((SimStream)stream).Sync();

    public void Move(string from, string to)
    {
        lock (_gate)
        {
            var node = Find(from) ?? throw new FileNotFoundException($"simulated disk: no {from}", from);
            var folder = ParentOf(from);
            if (!ReferenceEquals(folder, ParentOf(to)))
            {
                throw new NotSupportedException("simulated disk: renames stay in one folder");
            }
            ChangeFolder(folder, (Path.GetFileName(from), null), (Path.GetFileName(to), node));
        }
    }

    public void DeleteFile(string path) => Delete(path);

    public void DeleteDirectory(string path) => Delete(path);

    private void Delete(string path)
    {
        lock (_gate)
        {
            if (Find(path) is not null)
            {
                ChangeFolder(ParentOf(path), (Path.GetFileName(path), null));
            }
        }
    }

    public void SyncDirectory(string path)
    {
        lock (_gate)
        {
            var folder = Find(path) as SimFolder ?? throw new DirectoryNotFoundException($"simulated disk: no folder {path}");
            Tick("sync folder " + path);
            if (IgnoreDirectorySyncs)
            {
                return;
            }
            foreach (var change in folder.Unsynced)
            {
                SimFolder.Apply(folder.Durable, change);
            }
            folder.Unsynced.Clear();
        }
    }

    public IDevice CreateDevice(string path) => new SimDevice(this, path);

    /// <summary>A change to a file's bytes, in the page cache (not yet durable).</summary>
    internal void Change(SimFile file, FileChange change)
    {
        lock (_gate)
        {
            file.Current.Apply(change);
            file.Unsynced.Add(change);
            Tick(change.Data is null ? $"truncate {file.Name} to {change.NewLength}" : $"write {file.Name} at {change.Offset} ({change.Data.Length} B)");
        }
    }

    /// <summary>fsync of a file: every change so far becomes durable.</summary>
    internal void Sync(SimFile file, bool device = false)
    {
        lock (_gate)
        {
            if (!device)
            {
                Tick("sync " + file.Name);
            }
            if (device ? DeviceWritesVolatile : IgnoreFileSyncs)
            {
                return;
            }
            foreach (var change in file.Unsynced)
            {
                file.Durable.Apply(change);
            }
            file.Unsynced.Clear();
        }
    }

    /// <summary>A write-through write (a FASTER device's): in the page cache, then durable once it completes.</summary>
    internal void WriteThrough(string path, long offset, byte[] data)
    {
        lock (_gate)
        {
            if (Find(path) is not SimFile file)
            {
                file = new SimFile(++_clock) { Name = path };
                ChangeFolder(ParentOf(path), (Path.GetFileName(path), file));
            }
            Change(file, new FileChange(offset, data, 0));
            Sync(file, device: true);
        }
    }

    internal int Read(SimFile file, long offset, Span<byte> into)
    {
        lock (_gate)
        {
            return file.Current.Read(offset, into);
        }
    }

    /// <summary>Reads a file by path: zeros where it holds nothing (a missing file reads as zeros too).</summary>
    internal void Read(string path, long offset, Span<byte> into)
    {
        lock (_gate)
        {
            if (Find(path) is SimFile file)
            {
                file.Current.Read(offset, into);
            }
            else
            {
                into.Clear();
            }
        }
    }

    internal long LengthOf(SimFile file)
    {
        lock (_gate)
        {
            return file.Current.Length;
        }
    }
}
