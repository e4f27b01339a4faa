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

    /// <summary>
    /// A peer message of replica group <paramref name="groupId"/> (≥ 1: group 0's come to <see cref="OnPeerMessage"/>),
    /// from a process that hosts several groups. False when this node hosts no such group: the transport then drops
    /// the message, counts it and logs it (the connection stays: a group may be created or removed on one process
    /// before the other). By default no group but 0 is hosted.
    /// </summary>
    bool OnGroupPeerMessage(int groupId, PeerSender sender, in PeerMessage message) => false;

    /// <summary>
    /// <see cref="OnSnapshotChunk"/> for replica group <paramref name="groupId"/> (≥ 1). False when this node hosts no
    /// such group: the transport releases the chunk's payload, counts and logs it. By default no group but 0 is hosted.
    /// </summary>
    bool OnGroupSnapshotChunk(int groupId, PeerSender sender, in SnapshotChunk chunk) => false;

    /// <summary>
    /// The connection <paramref name="sender"/> names closed (every message that came on it was handed over before);
    /// messages to its peer are dropped until it is back.
    /// </summary>
    void OnPeerDisconnected(PeerSender sender);

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
