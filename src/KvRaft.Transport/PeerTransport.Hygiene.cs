using System.Collections.Concurrent;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Connection hygiene of the peer port: at most <see cref="TransportOptions.AcceptedConnectionsMax"/> accepted
/// connections, of which at most <see cref="TransportOptions.HelloPendingConnectionsMax"/> have yet to say hello;
/// a sweep (every quarter of the shorter timeout, on <see cref="TransportOptions.Time"/>) closes an accepted
/// connection that has not said hello within the hello timeout and a live one that received no frame within the
/// idle timeout, and sends a keepalive hello on every live connection every third of the idle timeout, so a quiet
/// link (two followers) stays open while a dead or silent one is noticed.
/// </summary>
public sealed partial class PeerTransport
{
    private readonly ConcurrentDictionary<PeerChannelHandler, byte> _handlers = new();
    private ITimer? _sweep;
    private long _lastKeepaliveTimestamp;
    private int _acceptedOpen; // accepted connections counted by TryAccept and not yet unregistered
    private int _awaitingHello; // of those, the ones that have not said hello

    /// <summary>The hello this node sends to <paramref name="nodeId"/> on a connection of <paramref name="lane"/>, first on a dialled connection and then as a keepalive.</summary>
    internal PeerHello HelloTo(int nodeId, PeerLane lane) =>
        new(ProtocolLimits.Version, Options.ClusterId, Options.LocalNodeId, nodeId) { ClientAddress = Options.ClientAddress?.Invoke(), Shape = Options.Shape, Lane = lane };

    /// <summary>Counts an accepted connection; false (counted, logged) when over a limit: the caller closes it.</summary>
    internal bool TryAccept(PeerChannelHandler handler)
    {
        var accepted = Interlocked.Increment(ref _acceptedOpen);
        var awaiting = Interlocked.Increment(ref _awaitingHello);
        if (accepted <= Options.AcceptedConnectionsMax && awaiting <= Options.HelloPendingConnectionsMax)
        {
            Statistics.ConnectionAccepted();
            return true;
        }
        Interlocked.Decrement(ref _acceptedOpen);
        Interlocked.Decrement(ref _awaitingHello);
        Statistics.ConnectionRefused();
        TransportLog.PeerRefused(Logger, Options.LocalNodeId, handler.Channel?.RemoteAddress?.ToString() ?? "?", accepted - 1, awaiting - 1,
            Options.AcceptedConnectionsMax, Options.HelloPendingConnectionsMax);
        return false;
    }

    internal void HelloReceived() => Interlocked.Decrement(ref _awaitingHello);

    internal void Register(PeerChannelHandler handler) => _handlers.TryAdd(handler, 0);

    /// <param name="handler">The connection's handler.</param>
    /// <param name="accepted">0: dialled or refused; 1: accepted, no hello yet; 2: accepted and live.</param>
    internal void Unregister(PeerChannelHandler handler, int accepted)
    {
        _handlers.TryRemove(handler, out _);
        if (accepted >= 1)
        {
            Interlocked.Decrement(ref _acceptedOpen);
        }
        if (accepted == 1)
        {
            Interlocked.Decrement(ref _awaitingHello);
        }
    }

    private void StartSweep()
    {
        var shorter = Math.Min(Options.HelloTimeoutMilliseconds, Options.IdleTimeoutMilliseconds);
        var period = TimeSpan.FromMilliseconds(Math.Max(1, shorter / 4));
        _lastKeepaliveTimestamp = Options.Time.GetTimestamp();
        _sweep = Options.Time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Closes what timed out and sends keepalives (a timer thread; each step thread-safe).</summary>
    internal void Sweep()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        var time = Options.Time;
        var now = time.GetTimestamp();
        foreach (var handler in _handlers.Keys)
        {
            if (handler.Channel is not { } channel)
            {
                continue;
            }
            if (!handler.IsLive && time.GetElapsedTime(handler.OpenedTimestamp, now).TotalMilliseconds >= Options.HelloTimeoutMilliseconds)
            {
                _handlers.TryRemove(handler, out _);
                Statistics.HelloTimedOut();
                handler.CloseFor(channel, $"no hello within {Options.HelloTimeoutMilliseconds} ms");
            }
            else if (handler.IsLive && time.GetElapsedTime(handler.LastFrameTimestamp, now).TotalMilliseconds >= Options.IdleTimeoutMilliseconds)
            {
                _handlers.TryRemove(handler, out _);
                Statistics.IdleTimedOut();
                handler.CloseFor(channel, $"no frame within {Options.IdleTimeoutMilliseconds} ms");
            }
        }
        if (time.GetElapsedTime(_lastKeepaliveTimestamp, now).TotalMilliseconds >= Options.IdleTimeoutMilliseconds / 3.0)
        {
            _lastKeepaliveTimestamp = now;
            SendKeepalives();
        }
    }

    private void SendKeepalives()
    {
        foreach (var link in _links.Values)
        {
            foreach (var connection in (ReadOnlySpan<PeerConnection?>)[link.Connection, link.Control])
            {
                if (connection is not null)
                {
                    Write<PeerHelloFrame, PeerHello>(connection, HelloTo(link.NodeId, connection.Lane));
                    connection.Queue.Flush();
                    Statistics.KeepaliveSent();
                }
            }
        }
    }
}
