using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// An <see cref="IDevice"/> decorator that performs writes one at a time, in the order they were issued.
/// FasterLog in fast-commit mode finds its commit records by scanning the log after a restart; when a commit
/// spans two pages their writes ran concurrently, and a crash could leave the later page (with a commit record)
/// on disk and a hole in the earlier one: FasterLog's scan takes the hole for page padding and believes the
/// later commit. Written in order, the log on disk is always a prefix of what was issued.
/// </summary>
internal sealed class OrderedWriteDevice(IDevice inner) : IDevice
{
    private readonly Queue<PendingWrite> queue = new();
    private readonly Lock gate = new();
    private bool writing;

    private readonly record struct PendingWrite(IntPtr Source, int Segment, ulong Destination, uint Bytes, DeviceIOCompletionCallback Callback, object Context);

    public uint SectorSize => inner.SectorSize;
    public string FileName => inner.FileName;
    public long Capacity => inner.Capacity;
    public long SegmentSize => inner.SegmentSize;
    public int StartSegment => inner.StartSegment;
    public int EndSegment => inner.EndSegment;
    public int ThrottleLimit { get => inner.ThrottleLimit; set => inner.ThrottleLimit = value; }

    public void Initialize(long segmentSize, LightEpoch epoch = null!, bool omitSegmentIdFromFilename = false) =>
        inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);

    public bool TryComplete() => inner.TryComplete();
    public bool Throttle() => inner.Throttle();

    public void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context)
    {
        var write = new PendingWrite(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);
        lock (gate)
        {
            if (writing)
            {
                queue.Enqueue(write);
                return;
            }
            writing = true;
        }
        Issue(write);
    }

    private void Issue(PendingWrite write) =>
        inner.WriteAsync(write.Source, write.Segment, write.Destination, write.Bytes, (error, bytes, _) => Completed(write, error, bytes), write.Context);

    private void Completed(PendingWrite write, uint error, uint bytes)
    {
        write.Callback(error, bytes, write.Context);
        PendingWrite next;
        lock (gate)
        {
            if (!queue.TryDequeue(out next))
            {
                writing = false;
                return;
            }
        }
        Issue(next);
    }

    public void WriteAsync(IntPtr sourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        var segment = (int)(alignedDestinationAddress / (ulong)SegmentSize);
        WriteAsync(sourceAddress, segment, alignedDestinationAddress % (ulong)SegmentSize, numBytesToWrite, callback, context);
    }

    public void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
        inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public void ReadAsync(ulong alignedSourceAddress, IntPtr alignedDestinationAddress, uint alignedReadLength, DeviceIOCompletionCallback callback, object context) =>
        inner.ReadAsync(alignedSourceAddress, alignedDestinationAddress, alignedReadLength, callback, context);

    public void TruncateUntilAddressAsync(long toAddress, AsyncCallback callback, IAsyncResult result) => inner.TruncateUntilAddressAsync(toAddress, callback, result);
    public void TruncateUntilAddress(long toAddress) => inner.TruncateUntilAddress(toAddress);
    public void TruncateUntilSegmentAsync(int toSegment, AsyncCallback callback, IAsyncResult result) => inner.TruncateUntilSegmentAsync(toSegment, callback, result);
    public void TruncateUntilSegment(int toSegment) => inner.TruncateUntilSegment(toSegment);
    public void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) => inner.RemoveSegmentAsync(segment, callback, result);
    public void RemoveSegment(int segment) => inner.RemoveSegment(segment);
    public long GetFileSize(int segment) => inner.GetFileSize(segment);
    public void Reset() => inner.Reset();
    public void Dispose() => inner.Dispose();
}
