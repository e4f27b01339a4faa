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
internal sealed unsafe class FaultyDevice(IDevice inner) : DelegatingDevice(inner)
{
    private const uint IoError = 5;

    public DeviceFault Fault { get; set; }

    public int FailedWrites;

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context)
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
                Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, half, (_, _, _) => callback(IoError, 0, context), context);
                return;
            case DeviceFault.FlipBitInNextWrite:
                Fault = DeviceFault.None;
                var copy = (byte*)NativeMemory.AlignedAlloc(numBytes, 4096);
                Buffer.MemoryCopy((void*)sourceAddress, copy, numBytes, numBytes);
                copy[numBytes / 2] ^= 0x10;
                Inner.WriteAsync((IntPtr)copy, segmentId, destinationAddress, numBytes, (error, bytes, state) =>
                {
                    NativeMemory.AlignedFree(copy);
                    callback(error, bytes, state);
                }, context);
                return;
            default:
                Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);
                return;
        }
    }
}
