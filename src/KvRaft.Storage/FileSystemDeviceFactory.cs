using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// FASTER's checkpoint files (through its <see cref="DeviceLogCommitCheckpointManager"/>) on an <see cref="IFileSystem"/>,
/// laid out as FASTER's own local factory lays them out. Nothing here syncs a folder: <see cref="CheckpointFolders"/>
/// does, once a checkpoint is complete.
/// </summary>
internal sealed class FileSystemDeviceFactory(IFileSystem files) : INamedDeviceFactory
{
    private string _baseName = "";

    public void Initialize(string baseName) => _baseName = baseName;

    public IDevice Get(FileDescriptor fileInfo) => files.CreateDevice(Path.Combine(_baseName, fileInfo.directoryName, fileInfo.fileName));

    public void Delete(FileDescriptor fileInfo)
    {
        if (fileInfo.fileName is not null)
        {
            var path = Path.Combine(_baseName, fileInfo.directoryName, fileInfo.fileName + ".0");
            if (files.FileExists(path))
            {
                files.DeleteFile(path);
            }
            return;
        }
        files.DeleteDirectory(Path.Combine(_baseName, fileInfo.directoryName));
    }

    public IEnumerable<FileDescriptor> ListContents(string path)
    {
        var folder = Path.Combine(_baseName, path);
        if (!files.DirectoryExists(folder))
        {
            return [];
        }
        return files.ListDirectories(folder).Select(d => new FileDescriptor(Path.GetFileName(d), ""))
            .Concat(files.ListFiles(folder).Select(f => new FileDescriptor("", Path.GetFileName(f))));
    }
}
