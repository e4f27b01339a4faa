using System.Runtime.InteropServices;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>What <see cref="FaultyDevice"/> does to writes.</summary>
internal enum DeviceFault
{
    None,
    /// <summary>Every write fails with an error code, writing nothing (a full or broken disk).</summary>
    FailWrites,
    /// <summary>The next write stores only its first half and then fails (a crash mid-write).</summary>
    TearNextWrite,
    /// <summary>The next write stores its data with one bit flipped and reports success (silent corruption).</summary>
    FlipBitInNextWrite,
}

/// <summary>An <see cref="IDevice"/> decorator for tests: passes everything through except the injected write fault.</summary>
internal sealed unsafe class FaultyDevice(IDevice inner) : IDevice
{
    private const uint IoError = 5;

    public DeviceFault Fault { get; set; }

    public int FailedWrites;

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
        switch (Fault)
        {
            case DeviceFault.FailWrites:
                Interlocked.Increment(ref FailedWrites);
                callback(IoError, 0, context);
                return;
            case DeviceFault.TearNextWrite:
                Fault = DeviceFault.FailWrites;
                var half = numBytes / 2 / SectorSize * SectorSize;
                inner.WriteAsync(sourceAddress, segmentId, destinationAddress, half, (_, _, _) => callback(IoError, 0, context), context);
                return;
            case DeviceFault.FlipBitInNextWrite:
                Fault = DeviceFault.None;
                var copy = (byte*)NativeMemory.AlignedAlloc(numBytes, 4096);
                Buffer.MemoryCopy((void*)sourceAddress, copy, numBytes, numBytes);
                copy[numBytes / 2] ^= 0x10;
                inner.WriteAsync((IntPtr)copy, segmentId, destinationAddress, numBytes, (error, bytes, state) =>
                {
                    NativeMemory.AlignedFree(copy);
                    callback(error, bytes, state);
                }, context);
                return;
            default:
                inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);
                return;
        }
    }

    public void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
        inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public void WriteAsync(IntPtr sourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        var segment = (int)(alignedDestinationAddress / (ulong)SegmentSize);
        WriteAsync(sourceAddress, segment, alignedDestinationAddress % (ulong)SegmentSize, numBytesToWrite, callback, context);
    }

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
