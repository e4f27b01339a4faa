using System.Net;
using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.LocalCluster;

/// <summary>
/// One directed peer link, outside the nodes: node <see cref="FromNodeId"/> dials <see cref="Port"/> (on
/// 127.0.0.1) to reach node <see cref="ToNodeId"/>, and the relay connects on to the node's real peer port and
/// copies bytes both ways. Each direction can be cut. Cut both ways, the relay closes its connections and
/// closes every new one as soon as it is accepted; cut one way, it drops every frame going that way whole
/// (following frame boundaries, the hello that opens a peer connection excepted), so the other way still
/// works. It can also drop frames at random and hold back what it reads for a random while (a seeded
/// lossy, jittery link: a delay holds everything behind it, as on one TCP connection). Bounded: per connection and
/// direction one buffer of <see cref="RelayOptions.BufferBytes"/>, so a side that stops reading stops the relay
/// reading the other side (TCP back-pressure). Disposing it closes the listener and every connection and
/// waits for every task it started.
/// </summary>
public sealed partial class LinkRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly RelayOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<RelayedConnection> _connections = [];
    private readonly Lock _lock = new();
    private readonly Random _random;
    private Task _accepting = Task.CompletedTask;
    private volatile bool _forwardCut;
    private volatile bool _backwardCut;
    private int _dropPercent;
    private int _delayMillisecondsMax;
    private long _accepted;
    private long _refused;
    private long _closedByCut;
    private long _framesDropped;
    private long _delays;
    private int _disposed;
    private int _writesWaiting;

    /// <summary>A relay from node <paramref name="fromNodeId"/> to node <paramref name="toNodeId"/>'s peer port <paramref name="target"/>, listening on an ephemeral 127.0.0.1 port; <paramref name="seed"/> drives its random loss and delay.</summary>
    public LinkRelay(int fromNodeId, int toNodeId, IPEndPoint target, int seed, RelayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _options = options ?? new RelayOptions();
        _options.Validate();
        FromNodeId = fromNodeId;
        ToNodeId = toNodeId;
        _target = target;
        _random = new Random(seed);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
        }
        catch
        {
            _listener.Dispose();
            _stopping.Dispose();
            throw;
        }
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>The node that dials through this relay.</summary>
    public int FromNodeId { get; }

    /// <summary>The node this relay leads to.</summary>
    public int ToNodeId { get; }

    /// <summary>The relay's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Connections open now.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Writes waiting now for a side that does not read (each holds at most one buffer of the relay).</summary>
    public int WritesWaiting => Volatile.Read(ref _writesWaiting);

    /// <summary>True while frames from <see cref="FromNodeId"/> to <see cref="ToNodeId"/> are dropped.</summary>
    public bool ForwardCut => _forwardCut;

    /// <summary>True while frames from <see cref="ToNodeId"/> back to <see cref="FromNodeId"/> are dropped.</summary>
    public bool BackwardCut => _backwardCut;

    /// <summary>The relay's counters now.</summary>
    public RelayStatistics Statistics => new(
        Interlocked.Read(ref _accepted), Interlocked.Read(ref _refused), Interlocked.Read(ref _closedByCut),
        Interlocked.Read(ref _framesDropped), Interlocked.Read(ref _delays));

    /// <summary>Starts accepting connections.</summary>
    public void Start() => _accepting = AcceptLoopAsync();

    /// <summary>
    /// Cuts (or restores) each direction: <paramref name="forward"/> is <see cref="FromNodeId"/> to <see cref="ToNodeId"/>,
    /// <paramref name="backward"/> the way back. Both cut: every open connection is closed at once and new ones are refused.
    /// </summary>
    public void SetCuts(bool forward, bool backward)
    {
        _forwardCut = forward;
        _backwardCut = backward;
        if (!forward || !backward)
        {
            return;
        }

        RelayedConnection[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }

        foreach (var connection in open)
        {
            connection.Close();
        }

        Interlocked.Add(ref _closedByCut, open.Length);
    }

    /// <summary>Drops <paramref name="dropPercent"/>% of the frames (hellos excepted) and holds each piece read for 0 to <paramref name="delayMillisecondsMax"/> ms; 0 and 0 restore a reliable link.</summary>
    public void SetUnreliable(int dropPercent, int delayMillisecondsMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dropPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dropPercent, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(delayMillisecondsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayMillisecondsMax, 60_000);
        Volatile.Write(ref _dropPercent, dropPercent);
        Volatile.Write(ref _delayMillisecondsMax, delayMillisecondsMax);
    }

    /// <summary>Closes the listener and every connection, and waits for every task of the relay.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        RelayedConnection[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }

        foreach (var connection in open)
        {
            connection.Close();
        }

        await Task.WhenAll(open.Select(connection => connection.Run)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Whether one frame going one way is dropped: a cut, or the lossy link's draw.</summary>
    private bool Drops(FrameType type, bool forward)
    {
        if (type == FrameType.PeerHello)
        {
            return false; // a cut acts on what a connection carries, not on its opening
        }

        var dropped = forward ? _forwardCut : _backwardCut;
        var dropPercent = Volatile.Read(ref _dropPercent);
        if (!dropped && dropPercent > 0)
        {
            lock (_random)
            {
                dropped = _random.Next(100) < dropPercent;
            }
        }
        if (dropped)
        {
            Interlocked.Increment(ref _framesDropped);
        }

        return dropped;
    }

    /// <summary>How long the piece just read waits before it is forwarded (0 to the delay maximum, drawn; 0 on a reliable link).</summary>
    private int NextDelayMilliseconds()
    {
        var delayMax = Volatile.Read(ref _delayMillisecondsMax);
        if (delayMax == 0)
        {
            return 0;
        }

        int delay;
        lock (_random)
        {
            delay = _random.Next(delayMax + 1);
        }

        if (delay > 0)
        {
            Interlocked.Increment(ref _delays);
        }

        return delay;
    }
}
