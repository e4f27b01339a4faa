using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>Limits of a <see cref="ClientListener"/>, with defaults.</summary>
public sealed record ClientListenerOptions
{
    /// <summary>Open connections at most; a connection beyond it is closed at once.</summary>
    public int ConnectionsMax { get; init; } = 1024;

    /// <summary>
    /// Largest request frame (length field); a larger one is answered TooLarge (when its request id has arrived)
    /// and closes the connection before its body is read. It is also the bound on a connection's buffered request
    /// bytes: a partial frame never holds more than this. By default the largest legal request,
    /// <see cref="ProtocolLimits.GroupRequestFrameBytesMax"/> (a compare-and-set with a maximal key, expected value and
    /// value, to a replica group).
    /// </summary>
    public int FrameBytesMax { get; init; } = ProtocolLimits.GroupRequestFrameBytesMax;

    /// <summary>
    /// Per connection: response bytes written but not flushed, and (separately) flushed but not yet
    /// on the socket, are each kept under this. A reply beyond it closes the connection (the client
    /// is not reading); the client reconnects and retries.
    /// </summary>
    public int PendingResponseBytesMax { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Per connection: above this many response bytes pending (unflushed or unsent), the connection stops reading
    /// (and handing on requests already read) until they drain to half of it: a client that does not read its
    /// replies is slowed down to its own pace before <see cref="PendingResponseBytesMax"/> is reached.
    /// </summary>
    public int PauseReadingResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>A connection holding the bytes of an incomplete request frame for this long is closed (slowloris).</summary>
    public int PartialFrameTimeoutMilliseconds { get; init; } = 30_000;

    /// <summary>
    /// A connection that has sent nothing for this long, with no request in flight (every request answered, every
    /// reply sent), is closed, so idle connections do not hold one of <see cref="ConnectionsMax"/> for ever. The .NET
    /// client reconnects on its next request (and resends a request caught by the close), so its users never see it.
    /// </summary>
    public int IdleTimeoutMilliseconds { get; init; } = 300_000;

    /// <summary>The clock of <see cref="PartialFrameTimeoutMilliseconds"/> and <see cref="IdleTimeoutMilliseconds"/> (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Event-loop threads doing the listener's socket I/O (unless <see cref="Loop"/> is given).</summary>
    public int IoThreads { get; init; } = 1;

    /// <summary>A loop shared with other transports and the node (not stopped by this listener); null: its own threads.</summary>
    public IoLoop? Loop { get; init; }

    /// <summary>
    /// TLS on every client connection (null: plain TCP). With <see cref="TlsFiles.TrustedCaFile"/> set, a client must
    /// present a certificate that chains to it; without, clients present none.
    /// </summary>
    public TlsFiles? Tls { get; init; }

    internal void Validate()
    {
        if (ConnectionsMax <= 0 || FrameBytesMax < 2 || FrameBytesMax > ProtocolLimits.FrameBytesMax || PendingResponseBytesMax <= 0 || IoThreads <= 0
            || PauseReadingResponseBytes < 2 || PauseReadingResponseBytes > PendingResponseBytesMax || PartialFrameTimeoutMilliseconds <= 0 || IdleTimeoutMilliseconds <= 0 || Time is null)
        {
            throw new ArgumentException("invalid client listener options: " + this);
        }
    }
}
