using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Receives what peers send. Called on transport I/O threads: implementations enqueue and return
/// fast. Everything handed over owns its memory (copied out of the network buffers).
/// </summary>
public interface IPeerHandler
{
    /// <summary>A peer message; its entries (decompressed) are in memory the receiver may keep.</summary>
    void OnPeerMessage(in PeerMessage message);

    /// <summary>A snapshot chunk, decompressed (<see cref="SnapshotChunk.Compressed"/> is false), in owned memory.</summary>
    void OnSnapshotChunk(int fromNodeId, in SnapshotChunk chunk);

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
