using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>Limits of a <see cref="ClientListener"/>, with defaults.</summary>
public sealed record ClientListenerOptions
{
    /// <summary>Open connections at most; a connection beyond it is closed at once.</summary>
    public int ConnectionsMax { get; init; } = 1024;

    /// <summary>
    /// Largest request frame (length field); a larger one is answered TooLarge (when its request id has arrived)
    /// and closes the connection before its body is read. By default the largest legal request,
    /// <see cref="ProtocolLimits.RequestFrameBytesMax"/> (a compare-and-set with a maximal key, expected value and value).
    /// </summary>
    public int FrameBytesMax { get; init; } = ProtocolLimits.RequestFrameBytesMax;

    /// <summary>
    /// Per connection: response bytes written but not flushed, and (separately) flushed but not yet
    /// on the socket, are each kept under this. A reply beyond it closes the connection (the client
    /// is not reading); the client reconnects and retries.
    /// </summary>
    public int PendingResponseBytesMax { get; init; } = 16 * 1024 * 1024;

    /// <summary>Event-loop threads doing the listener's socket I/O (unless <see cref="Loop"/> is given).</summary>
    public int IoThreads { get; init; } = 1;

    /// <summary>A loop shared with other transports and the node (not stopped by this listener); null: its own threads.</summary>
    public IoLoop? Loop { get; init; }

    internal void Validate()
    {
        if (ConnectionsMax <= 0 || FrameBytesMax < 2 || FrameBytesMax > ProtocolLimits.FrameBytesMax || PendingResponseBytesMax <= 0 || IoThreads <= 0)
        {
            throw new ArgumentException("invalid client listener options: " + this);
        }
    }
}
