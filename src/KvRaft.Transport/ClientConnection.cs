using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>One client's connection: replies are buffered by <see cref="Reply"/> and sent by <see cref="Flush"/>.</summary>
public sealed class ClientConnection
{
    private readonly IChannel _channel;
    private readonly OutboundQueue _queue;
    private readonly ClientListener _listener;

    internal ClientConnection(long id, IChannel channel, ClientListener listener)
    {
        Id = id;
        _channel = channel;
        _listener = listener;
        _queue = new OutboundQueue(channel, listener.Options.PendingResponseBytesMax);
    }

    /// <summary>Unique per listener, increasing.</summary>
    public long Id { get; }

    /// <summary>True until the connection closes.</summary>
    public bool IsOpen => _channel.Active;

    /// <summary>
    /// The names in the client's verified certificate (common name first, then DNS alternative names), or null
    /// when the client port does not require client certificates (or the handshake has not finished).
    /// </summary>
    public IReadOnlyList<string>? CertificateNames => TlsSetup.PeerOf(_channel)?.Names;

    /// <summary>The client's address, for logs.</summary>
    public string RemoteAddress => _channel.RemoteAddress?.ToString() ?? "?";

    /// <summary>
    /// Buffers <paramref name="response"/> (thread-safe, never blocks). Dropped when the connection is
    /// closed; when the client has too many response bytes pending, the connection is closed.
    /// </summary>
    public void Reply(in ClientResponse response)
    {
        var outcome = _queue.Write<ClientResponseFrame, ClientResponse>(response, out _);
        if (outcome == WriteOutcome.Written)
        {
            _listener.Statistics.ResponseSent();
        }
        else if (outcome == WriteOutcome.Full)
        {
            _listener.Statistics.SlowClientClosed();
            TransportLog.ClientTooSlow(_listener.Logger, Id, RemoteAddress, _listener.Options.PendingResponseBytesMax);
            Close();
        }
    }

    /// <summary>Sends every buffered reply (one flush).</summary>
    public void Flush() => _queue.Flush();

    /// <summary>Drops buffered replies and closes the connection.</summary>
    public void Close()
    {
        _queue.Close();
        _ = _channel.CloseAsync();
    }

    /// <inheritdoc />
    public override string ToString() => "client connection " + Id + " from " + RemoteAddress;
}
