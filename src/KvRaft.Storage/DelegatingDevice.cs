using FASTER.core;

namespace KvRaft.Storage;

/// <summary>An <see cref="IDevice"/> that passes everything to <paramref name="inner"/> except what a subclass does to writes.</summary>
internal abstract class DelegatingDevice(IDevice inner) : IDevice
{
    protected IDevice Inner { get; } = inner;

    public uint SectorSize => Inner.SectorSize;
    public string FileName => Inner.FileName;
    public long Capacity => Inner.Capacity;
    public long SegmentSize => Inner.SegmentSize;
    public int StartSegment => Inner.StartSegment;
    public int EndSegment => Inner.EndSegment;
    public int ThrottleLimit { get => Inner.ThrottleLimit; set => Inner.ThrottleLimit = value; }

    public void Initialize(long segmentSize, LightEpoch epoch = null!, bool omitSegmentIdFromFilename = false) =>
        Inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);

    public bool TryComplete() => Inner.TryComplete();
    public bool Throttle() => Inner.Throttle();

    /// <summary>Every write arrives here, with its segment.</summary>
    public abstract void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context);

    public void WriteAsync(IntPtr sourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        var segment = (int)(alignedDestinationAddress / (ulong)SegmentSize);
        WriteAsync(sourceAddress, segment, alignedDestinationAddress % (ulong)SegmentSize, numBytesToWrite, callback, context);
    }

    public void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
        Inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public void ReadAsync(ulong alignedSourceAddress, IntPtr alignedDestinationAddress, uint alignedReadLength, DeviceIOCompletionCallback callback, object context) =>
        Inner.ReadAsync(alignedSourceAddress, alignedDestinationAddress, alignedReadLength, callback, context);

    // Deletions of segment files: virtual, so that a subclass can hold them back (see HeldTruncationDevice).
    public virtual void TruncateUntilAddressAsync(long toAddress, AsyncCallback callback, IAsyncResult result) => Inner.TruncateUntilAddressAsync(toAddress, callback, result);
    public virtual void TruncateUntilAddress(long toAddress) => Inner.TruncateUntilAddress(toAddress);
    public virtual void TruncateUntilSegmentAsync(int toSegment, AsyncCallback callback, IAsyncResult result) => Inner.TruncateUntilSegmentAsync(toSegment, callback, result);
    public virtual void TruncateUntilSegment(int toSegment) => Inner.TruncateUntilSegment(toSegment);
    public virtual void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) => Inner.RemoveSegmentAsync(segment, callback, result);
    public virtual void RemoveSegment(int segment) => Inner.RemoveSegment(segment);
    public long GetFileSize(int segment) => Inner.GetFileSize(segment);
    public void Reset() => Inner.Reset();
    public virtual void Dispose() => Inner.Dispose();
}
