using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// The two lanes of a pair of nodes (docs/transport.md, "Connections"). A vote or heartbeat that shares a connection with
/// bulk Appends waits behind every byte queued before it (in this node's queue and socket, and in the peer's): after a
/// leader kill, survivors' pre-vote answers arrived 0.2–0.6 s late behind Appends a deposed leader had queued. So
/// election messages and heartbeats, and their answers, go on a control lane of their own, with a small queue; the rest
/// stays on the bulk lane. Raft tolerates the reordering between lanes (a heartbeat commits no further than the
/// follower's match). While the control lane is down (not yet dialled, or refused by a peer that predates lanes) its
/// messages go on the bulk lane, as before lanes.
/// </summary>
public sealed partial class PeerTransport
{
    /// <summary>The lane a message of type <paramref name="type"/> travels on.</summary>
    public static PeerLane LaneOf(PeerMessageType type) => type switch
    {
        PeerMessageType.PreVote or PeerMessageType.PreVoteResponse or PeerMessageType.Vote or PeerMessageType.VoteResponse
            or PeerMessageType.Heartbeat or PeerMessageType.HeartbeatResponse or PeerMessageType.TimeoutNow => PeerLane.Control,
        _ => PeerLane.Bulk,
    };

    /// <summary>The bound on a connection's queued bytes (unflushed, and flushed not yet on the socket) for <paramref name="lane"/>.</summary>
    internal int QueueBytesMax(PeerLane lane) => lane == PeerLane.Control ? Options.ControlQueueBytesMax : Options.OutboundQueueBytesMax;
}
