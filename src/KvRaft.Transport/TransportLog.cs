using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport;

/// <summary>Every log message of the transport, as compiled logging delegates.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(1, LogLevel.Error, "Closing connection from {Remote}: {Error}: {Message}")]
    public static partial void FrameRefused(ILogger logger, ProtocolError error, string message, string remote);

    [LoggerMessage(2, LogLevel.Error, "Closing connection with {Remote} after an exception")]
    public static partial void ConnectionFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(22, LogLevel.Information, "Connection with {Remote} reset by the other side")]
    public static partial void ConnectionReset(ILogger logger, string remote);

    [LoggerMessage(3, LogLevel.Information, "Node {LocalNodeId} listening for peers on {Address}")]
    public static partial void PeerListening(ILogger logger, int localNodeId, string address);

    [LoggerMessage(4, LogLevel.Information, "Node {LocalNodeId} connected to peer {NodeId} ({Direction}, {Lane} lane)")]
    public static partial void PeerConnected(ILogger logger, int localNodeId, int nodeId, string direction, PeerLane lane);

    [LoggerMessage(5, LogLevel.Information, "Node {LocalNodeId} lost peer {NodeId} ({Lane} lane)")]
    public static partial void PeerDisconnected(ILogger logger, int localNodeId, int nodeId, PeerLane lane);

    [LoggerMessage(6, LogLevel.Debug, "Node {LocalNodeId} failed to connect to peer {NodeId} at {Host}:{Port}; retrying in {DelayMilliseconds} ms")]
    public static partial void ConnectFailed(ILogger logger, int localNodeId, int nodeId, string host, int port, int delayMilliseconds, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Node {LocalNodeId} dropped a message to unknown node {NodeId}")]
    public static partial void UnknownPeer(ILogger logger, int localNodeId, int nodeId);

    [LoggerMessage(8, LogLevel.Information, "Client listener on {Address}")]
    public static partial void ClientListening(ILogger logger, string address);

    [LoggerMessage(9, LogLevel.Warning, "Refusing client connection from {Remote}: {Open} connections open, limit {Limit}")]
    public static partial void ClientRefused(ILogger logger, string remote, int open, int limit);

    [LoggerMessage(10, LogLevel.Warning, "Closing client connection {ConnectionId} from {Remote}: more than {Limit} response bytes pending (client not reading)")]
    public static partial void ClientTooSlow(ILogger logger, long connectionId, string remote, int limit);

    [LoggerMessage(11, LogLevel.Warning, "The {Transport} I/O threads did not stop within the shutdown timeout (DotNetty keeps a loop alive while tasks keep arriving); stopping without them")]
    public static partial void ShutdownIncomplete(ILogger logger, string transport);

    [LoggerMessage(12, LogLevel.Warning, "Closing connection from {Remote}: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string remote, string reason);

    [LoggerMessage(18, LogLevel.Information, "Closing idle client connection {Connection} from {Remote}: nothing received for {TimeoutMilliseconds} ms and no request in flight")]
    public static partial void ClientIdleClosed(ILogger logger, long connection, string remote, int timeoutMilliseconds);

    [LoggerMessage(13, LogLevel.Warning, "Node {LocalNodeId} refusing peer connection from {Remote}: {Accepted} accepted connections open ({AwaitingHello} before their hello), limits {AcceptedMax} and {AwaitingHelloMax}")]
    public static partial void PeerRefused(ILogger logger, int localNodeId, string remote, int accepted, int awaitingHello, int acceptedMax, int awaitingHelloMax);

    [LoggerMessage(14, LogLevel.Debug, "Client connection {ConnectionId} from {Remote}: more than {Limit} response bytes pending, reading paused")]
    public static partial void ClientReadsPaused(ILogger logger, long connectionId, string remote, int limit);

    [LoggerMessage(15, LogLevel.Warning, "TLS handshake with {Remote} refused: {Reason}")]
    public static partial void TlsRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(16, LogLevel.Information, "Reloaded the TLS certificates ({CertificateFile} changed)")]
    public static partial void TlsReloaded(ILogger logger, string certificateFile);

    [LoggerMessage(17, LogLevel.Warning, "Keeping the previous TLS certificates: {Message}")]
    public static partial void TlsReloadFailed(ILogger logger, string message);

    [LoggerMessage(19, LogLevel.Information, "Node {LocalNodeId} removed peer {NodeId}: no longer a member")]
    public static partial void PeerRemoved(ILogger logger, int localNodeId, int nodeId);

    [LoggerMessage(20, LogLevel.Information, "Node {LocalNodeId} added peer {NodeId} at {Host}:{Port}")]
    public static partial void PeerAdded(ILogger logger, int localNodeId, int nodeId, string host, int port);

    [LoggerMessage(21, LogLevel.Warning, "Node {LocalNodeId} ignored a {Frame} frame from node {NodeId} for group {GroupId}, which this node does not host (further frames of that group on this connection are counted, not logged)")]
    public static partial void UnknownGroup(ILogger logger, int localNodeId, string frame, int nodeId, int groupId);
}
