using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// One TCP connection to one server. Many requests are in flight at once, matched to their answers
/// by request id. Requests queued by many threads at the same moment are drained by a single writer
/// loop into one buffer and sent with one socket write; a reader loop splits the answers into
/// frames. Any error closes the connection and fails every pending request.
/// </summary>
internal sealed partial class Connection : IAsyncDisposable
{
    private const int BatchBytesTarget = 256 * 1024;
    private const int InitialBufferBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly SslStream? _tls; // null: plain TCP, read and written on the socket directly
    private readonly Channel<QueuedRequest> _outbox = Channel.CreateUnbounded<QueuedRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<ulong, PendingRequest> _pending = new(); // requests holding a slot, by id; locked by itself (no node per request)
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _closing = new();
    private readonly ClientCounters _counters;
    private Task _writer = Task.CompletedTask;
    private Task _reader = Task.CompletedTask;
    private readonly int _maxInFlight;
    private readonly SilenceWatch _silence = new(SilenceChecks, SuspectChecks);
    private readonly TimeSpan _silenceCheckInterval;
    private readonly ConnectionWatch _watch;
    private ITimer? _silenceTimer;
    private long _receives; // reads that returned bytes: the silence watch's sign of life
    private Exception? _closeReason;
    private int _closed;

    /// <summary>Silence checks per <see cref="KvClientOptions.ConnectionSilenceTimeout"/>: a silent connection is closed within 1 to 1.1 timeouts.</summary>
    private const int SilenceChecks = 11;

    /// <summary>
    /// Quiet checks after which the connection is suspect (a fifth of the silence timeout, 200 to 300 ms by default): from
    /// then on each check asks <see cref="ConnectionWatch.OnSuspect"/> whether another server leads.
    /// </summary>
    private const int SuspectChecks = 3;

    private Connection(string endpoint, Socket socket, SslStream? tls, int maxInFlight, TimeSpan silenceTimeout, ClientCounters counters, ConnectionWatch watch)
    {
        _watch = watch;
        Endpoint = endpoint;
        _socket = socket;
        _tls = tls;
        _maxInFlight = maxInFlight;
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _counters = counters;
        _silenceCheckInterval = silenceTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : silenceTimeout / (SilenceChecks - 1);
    }

    /// <summary>The "host:port" this connection goes to.</summary>
    public string Endpoint { get; }

    /// <summary>True once the connection failed or was disposed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Reads that returned bytes so far: a probe stops once its suspect answers again.</summary>
    public long Receives => Volatile.Read(ref _receives);

    /// <summary>
    /// Connects to <paramref name="endpoint"/> (and with <paramref name="tls"/>, completes the TLS handshake) within
    /// <paramref name="timeout"/> and starts the loops. A server certificate that fails the check throws
    /// <see cref="System.Security.Authentication.AuthenticationException"/>.
    /// </summary>
    public static async Task<Connection> OpenAsync(string endpoint, TimeSpan timeout, int maxInFlight, TimeSpan silenceTimeout, ClientCounters counters, KvClientTls? tls = null,
        ConnectionWatch? watch = null)
    {
        var (host, port) = Endpoints.Parse(endpoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? stream = null;
        try
        {
            using var connectTimeout = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(host, port, connectTimeout.Token).ConfigureAwait(false);
            if (tls is not null)
            {
                stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                await stream.AuthenticateAsClientAsync(tls.AuthenticationOptions(host), connectTimeout.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            socket.Dispose();
            throw;
        }
        var connection = new Connection(endpoint, socket, stream, maxInFlight, silenceTimeout, counters, watch ?? ConnectionWatch.System);
        connection._writer = Task.Run(connection.WriteLoopAsync);
        connection._reader = Task.Run(connection.ReadLoopAsync);
        connection.StartSilenceWatch();
        return connection;
    }

    private void StartSilenceWatch()
    {
        if (_silenceCheckInterval == Timeout.InfiniteTimeSpan)
        {
            return;
        }
        // One shot, armed again after each check: checks never overlap.
        _silenceTimer = _watch.Time.CreateTimer(static state => ((Connection)state!).CheckSilence(), this, _silenceCheckInterval, Timeout.InfiniteTimeSpan);
        if (IsClosed)
        {
            _silenceTimer.Dispose(); // closed before the timer existed: Close could not stop it
        }
    }

    private void CheckSilence()
    {
        if (IsClosed)
        {
            return;
        }
        var pending = _maxInFlight - _slots.CurrentCount;
        switch (_silence.Check(Volatile.Read(ref _receives), pending))
        {
            case Quiet.Silent:
                var waited = _silenceCheckInterval * (SilenceChecks - 1);
                Close(new TimeoutException($"{Endpoint} answered nothing for {waited.TotalMilliseconds:0} ms while {pending} request(s) waited; retrying elsewhere"));
                return;
            case Quiet.Suspect:
                _watch.OnSuspect?.Invoke(this);
                break;
        }
        try
        {
            _silenceTimer?.Change(_silenceCheckInterval, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile.
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/>; the value task ends with its answer (await it once). It fails with
    /// <see cref="ConnectionLostException"/> when the connection closes first, and is cancelled when
    /// <paramref name="cancel"/> fires: the request is then abandoned first, and <see cref="PendingRequest.PossiblySent"/>
    /// tells whether it may have reached the server. The caller disposes <see cref="PendingRequest.Registration"/> once
    /// it has ended, and may then reuse the request. Not an async method: a request that finds a free slot costs no
    /// state machine here.
    /// </summary>
    public ValueTask<ClientResponse> Send(PendingRequest request, CancellationToken cancel)
    {
        if (!_slots.Wait(0))
        {
            return SendWhenSlotFreeAsync(request, cancel);
        }
        Enqueue(request, cancel);
        return request.Completion;
    }

    private async ValueTask<ClientResponse> SendWhenSlotFreeAsync(PendingRequest request, CancellationToken cancel)
    {
        await _slots.WaitAsync(cancel).ConfigureAwait(false);
        Enqueue(request, cancel);
        return await request.Completion.ConfigureAwait(false);
    }

    /// <summary>Holds a slot: tracks the request, ties it to <paramref name="cancel"/>, and queues it for the writer.</summary>
    private void Enqueue(PendingRequest request, CancellationToken cancel)
    {
        lock (_pending)
        {
            _pending[request.RequestId] = request;
        }
        if (cancel.CanBeCanceled)
        {
            // A registration that cancels the completion itself, rather than Task.WaitAsync: no wrapper task per request.
            request.Owner = this;
            request.Registration = cancel.UnsafeRegister(static (state, token) =>
            {
                var abandoned = (PendingRequest)state!;
                abandoned.Owner!.Abandon(abandoned, token);
            }, request);
        }
        if (IsClosed)
        {
            Fail(request.RequestId);
        }
        else
        {
            _outbox.Writer.TryWrite(new QueuedRequest(request, request.Generation));
        }
    }

    /// <summary>
    /// The caller gave up: the request will not be written if it was not yet, and its slot is free. It is cancelled here
    /// unless an answer or the connection's loss untracked it first (then that ends it).
    /// </summary>
    /// <remarks>Runs as a token callback (on the deadline's timer thread): it must not throw.</remarks>
    internal void Abandon(PendingRequest request, CancellationToken token)
    {
        request.PossiblySent = request.AbandonAndCheckWritten();
        if (!TryUntrack(request.RequestId, out _))
        {
            return;
        }
        try
        {
            _slots.Release();
        }
        catch (ObjectDisposedException)
        {
            // The connection was disposed meanwhile: its slots no longer matter.
        }
        request.Fail(new OperationCanceledException(token));
    }

    /// <summary>Closes the socket and fails every pending request; idempotent.</summary>
    public void Close(Exception reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _closeReason = reason;
        _silenceTimer?.Dispose();
        _outbox.Writer.TryComplete();
        _closing.Cancel();
        _tls?.Dispose();
        _socket.Dispose();
        ulong[] pending;
        lock (_pending)
        {
            pending = [.. _pending.Keys];
        }
        foreach (var requestId in pending)
        {
            Fail(requestId);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Close(new ObjectDisposedException(nameof(Connection)));
        await Task.WhenAll(_writer, _reader).ConfigureAwait(false);
        _closing.Dispose();
        _slots.Dispose();
    }

    /// <summary>Fails the request tracked as <paramref name="requestId"/>, if it still is (by id: a request object is reused under new ids).</summary>
    private void Fail(ulong requestId)
    {
        if (!TryUntrack(requestId, out var request))
        {
            return;
        }
        _slots.Release();
        var sent = request.AbandonAndCheckWritten();
        request.Fail(new ConnectionLostException(Endpoint, sent, _closeReason));
    }

    private void Complete(in ClientResponse response)
    {
        if (!TryUntrack(response.RequestId, out var request))
        {
            return; // abandoned: its caller gave up
        }
        _slots.Release();
        var owned = response.Value.IsEmpty ? response : response with { Value = response.Value.ToArray() };
        request.Succeed(owned);
    }

    private bool TryUntrack(ulong requestId, [NotNullWhen(true)] out PendingRequest? request)
    {
        lock (_pending)
        {
            return _pending.Remove(requestId, out request);
        }
    }

    /// <summary>Makes <paramref name="buffer"/> hold at least <paramref name="neededBytes"/>, keeping its first <paramref name="usedBytes"/>.</summary>
    private static void Grow(ref byte[] buffer, int usedBytes, int neededBytes)
    {
        if (buffer.Length >= neededBytes)
        {
            return;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(neededBytes, buffer.Length * 2));
        buffer.AsSpan(0, usedBytes).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}

/// <summary>A request in a writer's queue, and the use of it that was queued (a stale entry is skipped).</summary>
internal readonly record struct QueuedRequest(PendingRequest Request, uint Generation);

/// <summary>
/// The clock of a connection's silence checks, and whom it tells that it is suspect (requests have waited a fifth of the
/// silence timeout without a receive).
/// </summary>
internal sealed record ConnectionWatch(TimeProvider Time, Action<Connection>? OnSuspect)
{
    public static ConnectionWatch System { get; } = new(TimeProvider.System, null);
}
