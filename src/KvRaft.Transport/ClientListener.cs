using System.Net;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport;

/// <summary>
/// Accepts client connections and hands their requests to an <see cref="IClientHandler"/>. A frame
/// that fails to decode or parse (or is not a ClientRequest) closes only its connection.
/// </summary>
public sealed class ClientListener : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ClientChannelHandler, byte> _handlers = new();
    private ITimer? _sweep;
    private readonly string _host;
    private readonly int _requestedPort;
    private readonly MultithreadEventLoopGroup _group;
    private readonly bool _ownsGroup;
    private readonly TlsCredentials? _tls; // null: plain TCP
    private IChannel? _listener;
    private long _nextId;
    private int _open;
    private int _disposed;

    /// <summary>Creates the listener; <see cref="StartAsync"/> binds it.</summary>
    public ClientListener(string host, int port, IClientHandler handler, ILogger logger, ClientListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        Options = options ?? new ClientListenerOptions();
        Options.Validate();
        _host = host;
        _requestedPort = port;
        Handler = handler;
        Logger = logger;
        _tls = Options.Tls is null ? null : new TlsCredentials(Options.Tls, logger);
        _group = Options.Loop?.Group ?? new MultithreadEventLoopGroup(Options.IoThreads);
        _ownsGroup = Options.Loop is null;
    }

    /// <summary>The port listened on (the actual one when constructed with port 0); valid after <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Counters: connections, requests, responses, refused frames.</summary>
    public ClientListenerStatistics Statistics { get; } = new();

    internal ClientListenerOptions Options { get; }

    internal ChannelSet Channels { get; } = new();

    internal IClientHandler Handler { get; }

    internal ILogger Logger { get; }

    /// <summary>Binds and starts accepting.</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var address = await ChannelSetup.ResolveAsync(_host, CancellationToken.None).ConfigureAwait(false);
        // The high-water mark pauses reading (ClientConnection); the hard bound is the queue's.
        var bootstrap = ChannelSetup.Server(_group, Options.PauseReadingResponseBytes, () => new ClientChannelHandler(this),
            _tls is null ? null : channel => TlsSetup.Server(channel, _tls.Current));
        _listener = await bootstrap.BindAsync(address, _requestedPort).ConfigureAwait(false);
        Port = ((IPEndPoint)_listener.LocalAddress).Port;
        TransportLog.ClientListening(Logger, address + ":" + Port);
        var period = TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(Options.PartialFrameTimeoutMilliseconds, Options.IdleTimeoutMilliseconds) / 4));
        _sweep = Options.Time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Closes the listener and every connection, and stops the I/O threads.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }
        if (_listener is not null)
        {
            await _listener.CloseAsync().ConfigureAwait(false);
        }
        await Channels.CloseAllAsync().ConfigureAwait(false);
        if (_ownsGroup && !await ChannelSetup.ShutdownAsync(_group).ConfigureAwait(false))
        {
            TransportLog.ShutdownIncomplete(Logger, "client");
        }
    }

    /// <summary>A connection for <paramref name="channel"/>, or null when over the connection limit.</summary>
    internal ClientConnection? TryOpen(IChannel channel)
    {
        var open = Interlocked.Increment(ref _open);
        if (open > Options.ConnectionsMax)
        {
            Interlocked.Decrement(ref _open);
            Statistics.ConnectionRefused();
            TransportLog.ClientRefused(Logger, channel.RemoteAddress?.ToString() ?? "?", open - 1, Options.ConnectionsMax);
            return null;
        }
        Statistics.ConnectionAccepted();
        return new ClientConnection(Interlocked.Increment(ref _nextId), channel, this);
    }

    internal void Closed(ClientConnection connection)
    {
        Interlocked.Decrement(ref _open);
        if (Volatile.Read(ref _disposed) == 0)
        {
            Handler.OnClientDisconnected(connection);
        }
    }

    /// <summary>
    /// Nothing received (no whole frame, no partial one) and nothing owed (no request in flight, no reply pending) for
    /// the idle timeout, counted from the later of the last frame and the last reply.
    /// </summary>
    private bool IsIdle(ClientChannelHandler handler, long now)
    {
        if (handler.Connection is not { } connection || handler.PartialSinceTimestamp != 0 || connection.RequestsInFlight != 0
            || connection.PendingResponseBytes != 0 || connection.ReadsPaused)
        {
            return false;
        }
        var since = Math.Max(handler.LastFrameTimestamp, connection.QuietSinceTimestamp);
        return Options.Time.GetElapsedTime(since, now).TotalMilliseconds >= Options.IdleTimeoutMilliseconds;
    }

    /// <summary>Client connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Connections holding the bytes of an incomplete frame now.</summary>
    internal int HeldPartialFrames => _handlers.Keys.Count(handler => handler.PartialSinceTimestamp != 0);

    internal void Register(ClientChannelHandler handler) => _handlers.TryAdd(handler, 0);

    internal void Unregister(ClientChannelHandler handler) => _handlers.TryRemove(handler, out _);

    /// <summary>Closes connections that held an incomplete request frame too long, or were idle too long (a timer thread).</summary>
    internal void Sweep()
    {
        var now = Options.Time.GetTimestamp();
        foreach (var handler in _handlers.Keys)
        {
            if (IsIdle(handler, now))
            {
                _handlers.TryRemove(handler, out _);
                Statistics.IdleTimedOut();
                TransportLog.ClientIdleClosed(Logger, handler.Connection!.Id, handler.Connection.RemoteAddress, Options.IdleTimeoutMilliseconds);
                handler.Connection.Close();
                continue;
            }
            var since = handler.PartialSinceTimestamp;
            if (since == 0 || handler.Channel is not { } channel || (handler.Connection?.ReadsPaused ?? false)
                || Options.Time.GetElapsedTime(since, now).TotalMilliseconds < Options.PartialFrameTimeoutMilliseconds)
            {
                continue;
            }
            _handlers.TryRemove(handler, out _);
            Statistics.PartialFrameTimedOut();
            handler.CloseFor(channel, $"an incomplete request frame held for {Options.PartialFrameTimeoutMilliseconds} ms");
        }
    }
}
