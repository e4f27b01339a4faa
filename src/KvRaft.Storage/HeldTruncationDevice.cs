using System.Globalization;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// The FasterKV log's device, which deletes a segment file only when <see cref="DeleteSegmentsBelow"/> is called:
/// every deletion FASTER asks for itself is dropped. FASTER truncates the log to a checkpoint's begin address as soon
/// as it has written that checkpoint's metadata, before <see cref="CheckpointFolders.SyncTree"/> made the checkpoint's
/// names durable: a power cut could then keep the deletion and lose the new checkpoint, and the previous one, still
/// the newest on disk, would reference segments that are gone. The store calls <see cref="DeleteSegmentsBelow"/>
/// once a checkpoint whose begin address is at or above the deleted segments is durable and the older ones are gone.
/// </summary>
internal sealed class HeldTruncationDevice(IDevice inner, IFileSystem files, string basePath, int segmentBits) : DelegatingDevice(inner)
{
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytes, DeviceIOCompletionCallback callback, object context) =>
        Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytes, callback, context);

    public override void TruncateUntilAddressAsync(long toAddress, AsyncCallback callback, IAsyncResult result) => callback(result);

    public override void TruncateUntilAddress(long toAddress)
    {
    }

    public override void TruncateUntilSegmentAsync(int toSegment, AsyncCallback callback, IAsyncResult result) => callback(result);

    public override void TruncateUntilSegment(int toSegment)
    {
    }

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) => callback(result);

    public override void RemoveSegment(int segment)
    {
    }

    /// <summary>
    /// Deletes every segment file that lies wholly below <paramref name="beginAddress"/>; returns how many. Only for a
    /// begin address that the newest durable checkpoint records (or is above): nothing below it is ever read again.
    /// FASTER reads nothing below its begin address, and the region has been below it since before that checkpoint
    /// began, so no read issued before the shift can still be in flight (FASTER's own truncation waits for an epoch for
    /// that). The files are found by listing the folder, so a deletion lost at a crash is redone by the next call.
    /// </summary>
    public int DeleteSegmentsBelow(long beginAddress)
    {
        var below = beginAddress >> segmentBits;
        var prefix = Path.GetFileName(basePath) + ".";
        var deleted = 0;
        foreach (var file in files.ListFiles(Path.GetDirectoryName(Path.GetFullPath(basePath))!))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
                && segment < below)
            {
                Inner.RemoveSegment(segment); // FASTER's device closes its handles to the file first (else no space is freed)
                deleted++;
            }
        }
        return deleted;
    }
}
