namespace KvRaft.Transport;

/// <summary>Live, thread-safe counters of a <see cref="ClientListener"/>.</summary>
public sealed class ClientListenerStatistics
{
    private long _connectionsAccepted;
    private long _connectionsRefused;
    private long _requestsReceived;
    private long _responsesSent;
    private long _malformedFrames;
    private long _slowClientsClosed;
    private long _readsPaused;
    private long _partialFrameTimeouts;
    private long _idleTimeouts;
    private long _requestsTooLarge;
    private long _tlsRefused;

    /// <summary>Connections accepted (under the connection limit).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);
    /// <summary>Connections closed at once for being over the limit.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);
    /// <summary>Requests parsed and handed to the handler.</summary>
    public long RequestsReceived => Interlocked.Read(ref _requestsReceived);
    /// <summary>Responses written to a connection.</summary>
    public long ResponsesSent => Interlocked.Read(ref _responsesSent);
    /// <summary>Connections closed for a frame that failed to decode or parse.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);
    /// <summary>Connections closed because their pending responses exceeded the limit.</summary>
    public long SlowClientsClosed => Interlocked.Read(ref _slowClientsClosed);

    /// <summary>Times a connection stopped reading because its replies were backed up.</summary>
    public long ReadsPaused => Interlocked.Read(ref _readsPaused);
    /// <summary>Connections closed for holding an incomplete request frame too long.</summary>
    public long PartialFrameTimeouts => Interlocked.Read(ref _partialFrameTimeouts);

    /// <summary>Connections closed for idleness: nothing received, no request in flight, for the idle timeout.</summary>
    public long IdleTimeouts => Interlocked.Read(ref _idleTimeouts);

    /// <summary>Requests answered TooLarge by the listener (a key or value over its limit, or a frame over the frame limit).</summary>
    public long RequestsTooLarge => Interlocked.Read(ref _requestsTooLarge);

    internal void RequestTooLarge() => Interlocked.Increment(ref _requestsTooLarge);

    /// <summary>Connections closed because their TLS handshake failed (no TLS, or a missing or untrusted client certificate).</summary>
    public long TlsRefused => Interlocked.Read(ref _tlsRefused);

    internal void TlsHandshakeRefused() => Interlocked.Increment(ref _tlsRefused);
    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsAccepted);
    internal void ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);
    internal void RequestReceived() => Interlocked.Increment(ref _requestsReceived);
    internal void ResponseSent() => Interlocked.Increment(ref _responsesSent);
    internal void MalformedFrame() => Interlocked.Increment(ref _malformedFrames);
    internal void SlowClientClosed() => Interlocked.Increment(ref _slowClientsClosed);
    internal void ReadPaused() => Interlocked.Increment(ref _readsPaused);
    internal void PartialFrameTimedOut() => Interlocked.Increment(ref _partialFrameTimeouts);
    internal void IdleTimedOut() => Interlocked.Increment(ref _idleTimeouts);
}
