using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// An <see cref="IDevice"/> decorator that performs writes one at a time, in the order they were issued.
/// FasterLog in fast-commit mode finds its commit records by scanning the log after a restart; when a commit
/// spans two pages their writes ran concurrently, and a crash could leave the later page (with a commit record)
/// on disk and a hole in the earlier one: FasterLog's scan takes the hole for page padding and believes the
/// later commit. Written in order, the log on disk is always a prefix of what was issued.
/// </summary>
internal sealed class OrderedWriteDevice(IDevice inner) : DelegatingDevice(inner)
{
    private readonly Queue<PendingWrite> _queue = new();
    private readonly Lock _gate = new();
    private bool _writing;

    private readonly record struct PendingWrite(IntPtr Source, int Segment, ulong Destination, uint Bytes, DeviceIOCompletionCallback Callback, object Context);

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context)
    {
        var write = new PendingWrite(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);
        lock (_gate)
        {
            if (_writing)
            {
                _queue.Enqueue(write);
                return;
            }
            _writing = true;
        }
        Issue(write);
    }

    private void Issue(PendingWrite write) =>
        Inner.WriteAsync(write.Source, write.Segment, write.Destination, write.Bytes, (error, bytes, _) => Completed(write, error, bytes), write.Context);

    private void Completed(PendingWrite write, uint error, uint bytes)
    {
        write.Callback(error, bytes, write.Context);
        PendingWrite next;
        lock (_gate)
        {
            if (!_queue.TryDequeue(out next))
            {
                _writing = false;
                return;
            }
        }
        Issue(next);
    }
}
