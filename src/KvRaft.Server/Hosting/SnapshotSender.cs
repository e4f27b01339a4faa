using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Hosting;

/// <summary>
/// Streams one snapshot to one follower over the peer transport, on the thread pool, paced by its
/// <see cref="SnapshotTransfer"/> (docs/design.md, "Snapshot streaming"); reports the outcome to the loop. A snapshot of
/// replica group <c>group</c> travels in group frames (group 0 in the plain ones).
/// </summary>
internal sealed class SnapshotSender(PeerTransport transport, Func<IEventSink> host, ILogger logger, int group = 0)
{
    /// <summary>A snapshot stream that gets no acknowledgement this long has stalled: it fails (the next attempt resumes).</summary>
    private static readonly TimeSpan AckStallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How often a stream waiting for acknowledgements checks that its follower is still connected.</summary>
    private static readonly TimeSpan ConnectionCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// One attempt: chunks from where the follower stands (moving where it asks to resume), never more than the
    /// transfer's window unacknowledged, then, once the follower acknowledged the whole file (verified), the Snapshot message.
    /// </summary>
    public async Task StreamAsync(PeerMessage metadata, ISnapshotSource snapshot, SnapshotTransfer transfer)
    {
        var to = metadata.To;
        var delivered = false;
        try
        {
            using var reader = snapshot.OpenSnapshotReader();
            var position = transfer.BeginAttempt(reader.ChunkBytes, reader.TotalBytes);
            reader.SkipTo(position.Bytes);
            while (true)
            {
                var atEnd = position.Bytes == reader.TotalBytes;
                await AwaitTransferAsync(transfer, to, t => t.HasRewind || t.IsFullyAcknowledged || (!atEnd && t.HasRoomFor(reader.ChunkBytes))).ConfigureAwait(false);
                if (transfer.TryTakeRewind(out var resumeAt))
                {
                    reader.SkipTo(resumeAt.Bytes);
                    position = resumeAt;
                    continue;
                }
                if (transfer.IsFullyAcknowledged)
                {
                    break;
                }
                if (!atEnd && reader.TryReadNext(out var chunk))
                {
                    SendChunk(to, snapshot, position, chunk);
                    position = new SnapshotPosition(position.Chunks + 1, chunk.Offset + chunk.Data.Length);
                    transfer.OnSent(position);
                }
            }
            transport.Send(to, group, metadata);
            transport.Flush();
            delivered = true;
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(error, "Sending snapshot {Index} to node {To} failed at chunk {Chunk}; the next attempt resumes there", snapshot.Info.Index, to, transfer.Acknowledged.Chunks);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Sending snapshot {Index} to node {To} abandoned", snapshot.Info.Index, to);
        }
        host().Post(new NodeEvent { Kind = NodeEventKind.SnapshotSent, Group = group, NodeId = to, Flag = delivered }); // a control event: always taken
    }

    private void SendChunk(int to, ISnapshotSource snapshot, SnapshotPosition position, Storage.SnapshotChunk chunk)
    {
        transport.SendSnapshotChunk(to, group, new WireSnapshotChunk
        {
            SnapshotIndex = snapshot.Info.Index,
            SnapshotTerm = snapshot.Info.Term,
            Offset = (ulong)chunk.Offset,
            ChunkIndex = (uint)position.Chunks,
            Last = chunk.Last,
            UncompressedBytes = chunk.Data.Length,
            Payload = chunk.Data,
        });
        transport.Flush();
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds; throws when the attempt must end: the node gave the transfer up
    /// (<see cref="OperationCanceledException"/>), the follower disconnected, or no
    /// acknowledgement came for <see cref="AckStallTimeout"/>. The install that follows the stream has no time limit.
    /// </summary>
    private async Task AwaitTransferAsync(SnapshotTransfer transfer, int to, Func<SnapshotTransfer, bool> done)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            var changed = transfer.Changed; // taken before the checks: a change after them completes it
            if (transfer.IsAbandoned)
            {
                throw new OperationCanceledException("the node gave the transfer up");
            }

            if (done(transfer))
            {
                return;
            }

            if (!transport.IsConnected(to))
            {
                throw new IOException($"node {to} disconnected during the snapshot");
            }

            if (waited >= AckStallTimeout)
            {
                throw new TimeoutException($"node {to} acknowledged no snapshot chunk for {AckStallTimeout.TotalSeconds:F0} s");
            }

            var woken = await Task.WhenAny(changed, Task.Delay(ConnectionCheckInterval)).ConfigureAwait(false) == changed;
            waited = woken ? TimeSpan.Zero : waited + ConnectionCheckInterval;
        }
    }
}
