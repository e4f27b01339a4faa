using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// One client's connection: replies are buffered by <see cref="Reply"/> and sent by <see cref="Flush"/>.
/// Back-pressure: above <see cref="ClientListenerOptions.PauseReadingResponseBytes"/> of pending replies the
/// connection stops reading and handing on requests, until they drain (the channel is writable again);
/// above <see cref="ClientListenerOptions.PendingResponseBytesMax"/> it is closed.
/// </summary>
public sealed class ClientConnection
{
    private readonly IChannel _channel;
    private readonly OutboundQueue _queue;
    private readonly ClientListener _listener;
    private int _paused; // 1 while reading is paused for pending replies (set from any thread, cleared on the loop)
    private ulong _identity; // ClientIdentity.Of(CertificateNames) once the names are known; None until then
    private int _requestsInFlight; // requests handed on (or answered by the listener) and not yet replied to: >= 0
    private long _quietSinceTimestamp; // when _requestsInFlight last fell to 0 (a TimeProvider timestamp); 0: never

    internal ClientConnection(long id, IChannel channel, ClientListener listener)
    {
        Id = id;
        _channel = channel;
        _listener = listener;
        _queue = new OutboundQueue(channel, listener.Options.PendingResponseBytesMax, boundsSentBytes: true, afterFlush: MaybeResume);
    }

    /// <summary>Response bytes not yet on the socket (unflushed, or flushed and unsent).</summary>
    internal long PendingResponseBytes => _queue.PendingBytes;

    /// <summary>Requests received and not yet replied to; the idle timeout never closes a connection with one.</summary>
    internal int RequestsInFlight => Volatile.Read(ref _requestsInFlight);

    /// <summary>When the last request in flight was replied to (0: never).</summary>
    internal long QuietSinceTimestamp => Volatile.Read(ref _quietSinceTimestamp);

    /// <summary>A request arrived: it will get exactly one reply.</summary>
    internal void RequestArrived() => Interlocked.Increment(ref _requestsInFlight);

    /// <summary>True while reading is paused because replies are backed up.</summary>
    internal bool ReadsPaused => Volatile.Read(ref _paused) != 0;

    /// <summary>Unique per listener, increasing.</summary>
    public long Id { get; }

    /// <summary>True until the connection closes.</summary>
    public bool IsOpen => _channel.Active;

    /// <summary>
    /// The names in the client's verified certificate (common name first, then DNS alternative names), or null
    /// when the client port does not require client certificates (or the handshake has not finished).
    /// </summary>
    public IReadOnlyList<string>? CertificateNames => TlsSetup.PeerOf(_channel)?.Names;

    /// <summary>
    /// The digest of the client's verified certificate names (<see cref="ClientIdentity.Of"/>), computed once;
    /// <see cref="ClientIdentity.None"/> (0) when the client port does not require client certificates.
    /// </summary>
    public ulong IdentityDigest
    {
        get
        {
            var known = Volatile.Read(ref _identity);
            if (known != ClientIdentity.None)
            {
                return known;
            }
            var digest = ClientIdentity.Of(CertificateNames);
            Volatile.Write(ref _identity, digest);
            return digest;
        }
    }

    /// <summary>The client's address, for logs.</summary>
    public string RemoteAddress => _channel.RemoteAddress?.ToString() ?? "?";

    /// <summary>
    /// Buffers <paramref name="response"/> (thread-safe, never blocks). Dropped when the connection is
    /// closed; when the client has too many response bytes pending, the connection is closed.
    /// </summary>
    public void Reply(in ClientResponse response)
    {
        Answered();
        var outcome = _queue.Write<ClientResponseFrame, ClientResponse>(response, out _);
        if (outcome == WriteOutcome.Written)
        {
            _listener.Statistics.ResponseSent();
            if (_queue.PendingBytes > _listener.Options.PauseReadingResponseBytes)
            {
                Pause();
            }
        }
        else if (outcome == WriteOutcome.Full)
        {
            _listener.Statistics.SlowClientClosed();
            TransportLog.ClientTooSlow(_listener.Logger, Id, RemoteAddress, _listener.Options.PendingResponseBytesMax);
            Close();
        }
    }

    private void Answered()
    {
        if (Interlocked.Decrement(ref _requestsInFlight) == 0)
        {
            Volatile.Write(ref _quietSinceTimestamp, _listener.Options.Time.GetTimestamp());
        }
    }

    /// <summary>Sends every buffered reply (one flush).</summary>
    public void Flush() => _queue.Flush();

    /// <summary>
    /// Resumes reading once the channel has room again; called on the loop after each flush and when writability
    /// changes, so a pause always meets one of them (unflushed replies are flushed at the end of the turn).
    /// </summary>
    internal void MaybeResume()
    {
        // Writable: the unsent bytes are below the high-water mark, or have drained below the low one since they passed it.
        if (Volatile.Read(ref _paused) == 0 || !_channel.IsWritable)
        {
            return;
        }
        Volatile.Write(ref _paused, 0);
        _channel.Configuration.AutoRead = true;
        FrameReader.ResumeDecoding(_channel); // the requests that waited in the buffer
    }

    private void Pause()
    {
        if (Interlocked.Exchange(ref _paused, 1) != 0)
        {
            return;
        }
        _channel.Configuration.AutoRead = false;
        _listener.Statistics.ReadPaused();
        TransportLog.ClientReadsPaused(_listener.Logger, Id, RemoteAddress, _listener.Options.PauseReadingResponseBytes);
    }

    /// <summary>Drops buffered replies and closes the connection.</summary>
    public void Close()
    {
        _queue.Close();
        _ = _channel.CloseAsync();
    }

    /// <inheritdoc />
    public override string ToString() => "client connection " + Id + " from " + RemoteAddress;
}
