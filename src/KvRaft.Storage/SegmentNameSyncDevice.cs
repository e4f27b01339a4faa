using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// An <see cref="IDevice"/> decorator that makes a segment file's name durable before FASTER hears that the first
/// write into it is done: the device's writes are write-through, but a file the write created exists after a power
/// cut only once its folder was synced. It syncs the folder once per segment and process (a segment already on disk
/// costs one extra folder sync after opening).
/// </summary>
internal sealed class SegmentNameSyncDevice(IDevice inner, IFileSystem files, string basePath) : DelegatingDevice(inner)
{
    private readonly HashSet<int> _synced = [];
    private readonly Lock _gate = new();

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context)
    {
        bool known;
        lock (_gate)
        {
            known = _synced.Contains(segmentId);
        }
        if (known)
        {
            Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);
            return;
        }
        Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytes, (error, bytes, state) =>
        {
            if (error == 0 && !SyncName(segmentId))
            {
                error = IoError;
            }
            callback(error, bytes, state);
        }, context);
    }

    private const uint IoError = 5;

    private bool SyncName(int segmentId)
    {
        try
        {
            DirectorySync.SyncParent(files, basePath);
        }
        catch (IOException)
        {
            return false; // reported to FASTER as a failed write: the store faults
        }
        lock (_gate)
        {
            _synced.Add(segmentId);
        }
        return true;
    }
}
