namespace KvRaft.Transport;

/// <summary>Configuration of a <see cref="PeerTransport"/>: identity, addresses and every limit, with defaults.</summary>
public sealed record TransportOptions
{
    /// <summary>This node's id (positive, distinct from every peer's).</summary>
    public required int LocalNodeId { get; init; }

    /// <summary>The cluster id every peer hello must carry.</summary>
    public required ulong ClusterId { get; init; }

    /// <summary>Address to listen on for peer connections (127.0.0.1 in tests).</summary>
    public required string ListenHost { get; init; }

    /// <summary>Port to listen on; 0 picks a free port (see <see cref="PeerTransport.Port"/>).</summary>
    public required int ListenPort { get; init; }

    /// <summary>This node's client address ("host:port") announced in its hellos, read when each is sent; null: none.</summary>
    public Func<string?>? ClientAddress { get; init; }

    /// <summary>
    /// This process's cluster shape (--groups, shards, --peers ids), announced in its hellos and compared with each
    /// peer's: a connection whose peer announces another is refused on both ends, naming what differs. Null: none announced, none checked.
    /// </summary>
    public Protocol.ClusterShape? Shape { get; init; }

    /// <summary>The other nodes of the cluster.</summary>
    public required IReadOnlyList<PeerEndpoint> Peers { get; init; }

    /// <summary>First reconnect delay after a failed or lost connection.</summary>
    public int ReconnectDelayMinMilliseconds { get; init; } = 50;

    /// <summary>
    /// Cap of the exponential reconnect backoff: how late a healed link (a partition's end, a peer restarted) may be
    /// redialled. Below the server's shortest election timeout (300 ms): with 2 s, a link cut for a few seconds came
    /// back up to 2 s after the heal, and a leader lost meanwhile left its survivors unable to exchange pre-votes.
    /// </summary>
    public int ReconnectDelayMaxMilliseconds { get; init; } = 250;

    /// <summary>Timeout of one connection attempt.</summary>
    public int ConnectTimeoutMilliseconds { get; init; } = 1000;

    /// <summary>Entry blocks and snapshot chunk payloads larger than this are LZ4-compressed (when that makes them smaller).</summary>
    public int CompressAboveBytes { get; init; } = 4096;

    /// <summary>
    /// Per peer: bytes written but not yet flushed, and (separately) bytes flushed but not yet on the
    /// socket, are each kept under this; a message that would exceed it is dropped (Raft retransmits) and counted.
    /// 16 MiB holds a snapshot stream's window (8 MiB) and the Appends in flight to a follower (4 MiB) with room to
    /// spare (it was 64 MiB: up to 50 MB queued to a follower being caught up delayed the survivors' votes by up to 0.9 s
    /// after a leader kill, when votes still shared the bulk lane). A peer's control lane has its own bound,
    /// <see cref="ControlQueueBytesMax"/>.
    /// </summary>
    public int OutboundQueueBytesMax { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// <see cref="OutboundQueueBytesMax"/> for a peer's control lane (votes, heartbeats and their answers: tens of bytes
    /// each, one per peer and group each tick at most), so that what waits there is at most a few milliseconds of sending.
    /// </summary>
    public int ControlQueueBytesMax { get; init; } = 1024 * 1024;

    /// <summary>Accepted peer connections open at once at most (before or after their hello); one beyond is closed at once.</summary>
    public int AcceptedConnectionsMax { get; init; } = 32;

    /// <summary>Accepted peer connections that have not yet said hello, at most; one beyond is closed at once.</summary>
    public int HelloPendingConnectionsMax { get; init; } = 8;

    /// <summary>An accepted connection that has not said hello within this is closed.</summary>
    public int HelloTimeoutMilliseconds { get; init; } = 5_000;

    /// <summary>
    /// A live peer connection that receives no frame within this is closed (the dialler reconnects). Each node
    /// sends a keepalive hello on every live connection every third of it, so only a dead or silent peer trips it.
    /// </summary>
    public int IdleTimeoutMilliseconds { get; init; } = 30_000;

    /// <summary>The clock of the hello and idle timeouts (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Event-loop threads doing all socket I/O of this transport (unless <see cref="Loop"/> is given).</summary>
    public int IoThreads { get; init; } = 1;

    /// <summary>A loop shared with other transports and the node (not stopped by this transport); null: its own threads.</summary>
    public IoLoop? Loop { get; init; }

    /// <summary>
    /// Mutual TLS on every peer connection (null: plain TCP). Each end presents its certificate, which must chain to
    /// <see cref="TlsFiles.TrustedCaFile"/> (required) and name the node (<see cref="PeerIdentity"/>).
    /// </summary>
    public TlsFiles? Tls { get; init; }

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    internal void Validate()
    {
        Require(LocalNodeId > 0, nameof(LocalNodeId));
        Require(ListenPort is >= 0 and <= 65535, nameof(ListenPort));
        Require(Peers.All(peer => peer.NodeId > 0 && peer.NodeId != LocalNodeId), nameof(Peers));
        Require(Peers.Select(peer => peer.NodeId).Distinct().Count() == Peers.Count, nameof(Peers));
        Require(ReconnectDelayMinMilliseconds > 0 && ReconnectDelayMaxMilliseconds >= ReconnectDelayMinMilliseconds, nameof(ReconnectDelayMaxMilliseconds));
        Require(ConnectTimeoutMilliseconds > 0, nameof(ConnectTimeoutMilliseconds));
        Require(CompressAboveBytes >= 0, nameof(CompressAboveBytes));
        Require(OutboundQueueBytesMax > 0, nameof(OutboundQueueBytesMax));
        Require(ControlQueueBytesMax > 0, nameof(ControlQueueBytesMax));
        Require(IoThreads > 0, nameof(IoThreads));
        Require(AcceptedConnectionsMax > 0, nameof(AcceptedConnectionsMax));
        Require(HelloPendingConnectionsMax > 0 && HelloPendingConnectionsMax <= AcceptedConnectionsMax, nameof(HelloPendingConnectionsMax));
        Require(HelloTimeoutMilliseconds > 0, nameof(HelloTimeoutMilliseconds));
        Require(IdleTimeoutMilliseconds >= 3, nameof(IdleTimeoutMilliseconds));
        Require(Time is not null, nameof(Time));
        Require(Tls is null || Tls.TrustedCaFile is not null, nameof(Tls));
    }

    private static void Require(bool condition, string name)
    {
        if (!condition)
        {
            throw new ArgumentException("invalid transport option " + name, name);
        }
    }
}
