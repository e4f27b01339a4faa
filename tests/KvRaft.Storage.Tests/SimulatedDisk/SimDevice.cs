// Goal: FASTER's device on the simulated disk; method: each write is write-through (durable when its callback runs),
// completed inline, so a crash can only cut the write being issued; segment n is the file path.n.
using FASTER.core;

namespace KvRaft.Storage.Tests;

internal sealed unsafe class SimDevice : StorageDeviceBase
{
    private readonly SimDisk _disk;

    /// <summary>Creates the device's folder if missing, as FASTER's local device does (the new names are not synced).</summary>
    public SimDevice(SimDisk disk, string path) : base(path, 512, -1)
    {
        _disk = disk;
        disk.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    private string SegmentPath(int segmentId) => GetSegmentFilename(FileName, segmentId);

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        var data = new ReadOnlySpan<byte>((void*)sourceAddress, (int)numBytesToWrite).ToArray();
        _disk.WriteThrough(SegmentPath(segmentId), (long)destinationAddress, data);
        callback(0, numBytesToWrite, context);
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
    {
        _disk.Read(SegmentPath(segmentId), (long)sourceAddress, new Span<byte>((void*)destinationAddress, (int)readLength));
        callback(0, readLength, context);
    }

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        var file = SegmentPath(segment);
        if (_disk.FileExists(file))
        {
            _disk.DeleteFile(file);
        }
        callback(result);
    }

    public override void Dispose()
    {
    }
}
