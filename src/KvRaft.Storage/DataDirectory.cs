using System.Globalization;
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage;

/// <summary>
/// A node's data directory, held for the life of the process: created 0700, locked exclusively (an OS lock on
/// <c>lock</c>, released by the kernel when the process ends, even by SIGKILL), and recording in <c>identity</c>
/// which cluster and which node it belongs to. <see cref="Open"/> refuses a directory locked by another process,
/// or one that belongs to another cluster or another node, with <see cref="DataDirectoryRefusedException"/>.
/// </summary>
public sealed class DataDirectory : IDisposable
{
    /// <summary>The identity file's name in the directory.</summary>
    public const string IdentityFileName = "identity";

    /// <summary>The lock file's name in the directory.</summary>
    public const string LockFileName = "lock";

    private const string Header = "kvraft data directory v1";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly FileStream _lock; // open with FileShare.None (flock LOCK_EX) until disposed

    private DataDirectory(string path, FileStream lockFile, ulong clusterId, int nodeId)
    {
        Path = path;
        _lock = lockFile;
        ClusterId = clusterId;
        NodeId = nodeId;
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>The cluster the directory belongs to (never 0).</summary>
    public ulong ClusterId { get; }

    /// <summary>The node the directory belongs to.</summary>
    public int NodeId { get; }

    /// <summary>
    /// Creates (0700) or opens <paramref name="path"/>, locks it and checks its identity. A directory with no identity
    /// yet adopts <paramref name="nodeId"/> and <paramref name="clusterId"/> (or <paramref name="defaultClusterId"/>
    /// when that is 0); one with an identity must name <paramref name="nodeId"/> and, unless
    /// <paramref name="clusterId"/> is 0 (take the stored one), <paramref name="clusterId"/>.
    /// </summary>
    public static DataDirectory Open(string path, int nodeId, ulong clusterId, ulong defaultClusterId, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeId);
        var full = System.IO.Path.GetFullPath(path);
        CreateOwnerOnly(full, logger);
        var lockFile = Lock(full);
        try
        {
            var adopted = Identify(full, nodeId, clusterId, defaultClusterId, logger);
            return new DataDirectory(full, lockFile, adopted, nodeId);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock (the files stay).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>The identity stored in <paramref name="directory"/>, or null when it has none (a new directory).</summary>
    public static (ulong ClusterId, int NodeId)? ReadIdentity(string directory)
    {
        var file = System.IO.Path.Combine(directory, IdentityFileName);
        if (!File.Exists(file))
        {
            return null;
        }

        var lines = File.ReadAllLines(file);
        ulong? cluster = null;
        int? node = null;
        foreach (var line in lines.Skip(1))
        {
            var pair = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2)
            {
                continue;
            }

            if (pair[0] == "cluster-id" && ulong.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c != 0)
            {
                cluster = c;
            }

            if (pair[0] == "node-id" && int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                node = n;
            }
        }
        if (lines.Length == 0 || lines[0] != Header || cluster is null || node is null)
        {
            throw new StorageCorruptException($"{file} is not a valid identity file (expected '{Header}', cluster-id=<n>, node-id=<n>)");
        }
        return (cluster.Value, node.Value);
    }

    /// <summary>A cluster id as the identity file, the logs and --cluster-id write it (decimal).</summary>
    public static string Format(ulong clusterId) => clusterId.ToString(CultureInfo.InvariantCulture);

    private static void CreateOwnerOnly(string path, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        if (!Directory.Exists(path))
        {
            DirectorySync.CreateDurably(LocalFileSystem.Instance, path);
            return;
        }
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~OwnerOnly) != 0)
        {
            logger.LogWarning("Data directory {Path} is accessible to other users (mode {Mode}); 0700 is expected", path, Convert.ToString((int)mode, 8));
        }
    }

    private static FileStream Lock(string directory)
    {
        var file = System.IO.Path.Combine(directory, LockFileName);
        try
        {
            // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix (a share-mode lock on Windows): held by this open file until it is
            // closed, which the kernel does when the process ends however it ends.
            return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error) when (error is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DataDirectoryRefusedException(
                $"data directory {directory} is in use by another process (it holds {file}); stop that process or choose another --data-dir", error);
        }
    }

    private static ulong Identify(string directory, int nodeId, ulong clusterId, ulong defaultClusterId, ILogger logger)
    {
        if (ReadIdentity(directory) is { } stored)
        {
            if (stored.NodeId != nodeId || (clusterId != 0 && stored.ClusterId != clusterId))
            {
                var started = clusterId == 0 ? $"node {nodeId}" : $"node {nodeId} of cluster {Format(clusterId)}";
                throw new DataDirectoryRefusedException(
                    $"data directory {directory} belongs to node {stored.NodeId} of cluster {Format(stored.ClusterId)}, but this process was started as {started}; refusing to start on another node's or another cluster's data");
            }
            return stored.ClusterId;
        }
        var adopted = clusterId != 0 ? clusterId : defaultClusterId;
        if (adopted == 0)
        {
            throw new ArgumentException("a new data directory needs a cluster id", nameof(defaultClusterId));
        }

        WriteIdentity(LocalFileSystem.Instance, directory, adopted, nodeId);
        logger.LogInformation("Data directory {Path} now belongs to node {NodeId} of cluster {ClusterId}", directory, nodeId, Format(adopted));
        return adopted;
    }

    /// <summary>Writes the identity durably: a temporary file, fsync, rename over the name, fsync of the directory.</summary>
    internal static void WriteIdentity(IFileSystem files, string directory, ulong clusterId, int nodeId)
    {
        var file = System.IO.Path.Combine(directory, IdentityFileName);
        var temporary = file + ".tmp";
        var text = System.Text.Encoding.UTF8.GetBytes($"{Header}\ncluster-id={Format(clusterId)}\nnode-id={nodeId.ToString(CultureInfo.InvariantCulture)}\n");
        using (var stream = files.Open(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(text);
            files.SyncFile(stream);
        }
        files.Move(temporary, file);
        files.SyncDirectory(directory);
    }
}

/// <summary>A data directory cannot be used: locked by another process, or another node's or another cluster's.</summary>
public sealed class DataDirectoryRefusedException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public DataDirectoryRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with no detail.</summary>
    public DataDirectoryRefusedException() { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public DataDirectoryRefusedException(string message, Exception innerException) : base(message, innerException) { }
}
