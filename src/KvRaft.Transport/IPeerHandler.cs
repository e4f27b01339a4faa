using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Receives what peers send. Called on transport I/O threads: implementations enqueue and return
/// fast. Everything handed over owns its memory (copied out of the network buffers).
/// </summary>
public interface IPeerHandler
{
    /// <summary>
    /// A peer message from <paramref name="sender"/> (its From is the sender's node id); its entries (decompressed)
    /// are in memory the receiver may keep.
    /// </summary>
    void OnPeerMessage(PeerSender sender, in PeerMessage message);

    /// <summary>
    /// A snapshot chunk, decompressed (<see cref="SnapshotChunk.Compressed"/> is false), its payload in a buffer lent
    /// by <see cref="SnapshotChunkPayloads.Shared"/>: call <see cref="SnapshotChunkPayloads.Release"/> once it is written
    /// (and not before: the buffer is then reused).
    /// </summary>
    void OnSnapshotChunk(PeerSender sender, in SnapshotChunk chunk);

    /// <summary>The connection to <paramref name="nodeId"/> closed; messages to it are dropped until it is back.</summary>
    void OnPeerDisconnected(int nodeId);

    /// <summary>
    /// <paramref name="nodeId"/> announced its client address in its hello (as sent: the receiver validates it).
    /// Ignored unless implemented.
    /// </summary>
    void OnPeerClientAddress(int nodeId, string clientAddress)
    {
    }
}

/// <summary>
/// Where a peer's input came from: the node id its connection's hello named, and that connection (unique within the
/// transport), so that a receiver can close it with <see cref="PeerTransport.Close"/>.
/// </summary>
public readonly record struct PeerSender(int NodeId, long ConnectionId);
