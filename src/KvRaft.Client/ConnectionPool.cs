using System.Collections.Concurrent;

namespace KvRaft.Client;

/// <summary>
/// The client's connections: one per server endpoint, opened lazily, shared by every replica group the client talks to
/// (in a sharded cluster every process hosts a replica of every group, and a request names its group in its frame).
/// Request ids are drawn here, so that they are unique on each connection whatever group a request is for. Thread-safe.
/// </summary>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly KvClientOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<Task<Connection>>> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Action<Connection>> _suspectListeners = [];
    private readonly ConnectionWatch _watch;
    private readonly Func<string, Lazy<Task<Connection>>> _open; // one delegate, not one per lookup
    private long _nextRequestId;
    private bool _disposed;

    public ConnectionPool(KvClientOptions options)
    {
        _options = options;
        _watch = new ConnectionWatch(options.Time, OnSuspect);
        _open = Open;
        Requests = new PendingRequestPool(options.MaxInFlightPerConnection);
    }

    public ClientCounters Counters { get; } = new();

    /// <summary>Requests to reuse, for every connection.</summary>
    public PendingRequestPool Requests { get; }

    /// <summary>A request id not used before on any connection of this client (calls count from 1).</summary>
    public ulong NextRequestId() => (ulong)Interlocked.Increment(ref _nextRequestId);

    /// <summary>Tells <paramref name="listener"/> of every connection whose requests wait without an answer (Cluster.Probe.cs).</summary>
    public void OnSuspect(Action<Connection> listener) => _suspectListeners.Add(listener);

    /// <summary>The open connection to <paramref name="endpoint"/>, opening one if there is none.</summary>
    public Task<Connection> ConnectAsync(string endpoint)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        while (true)
        {
            var slot = _connections.GetOrAdd(endpoint, _open);
            var task = slot.Value;
            var broken = task.IsFaulted || task.IsCanceled || (task.IsCompletedSuccessfully && task.Result.IsClosed);
            if (!broken)
            {
                return task;
            }
            _connections.TryUpdate(endpoint, Open(endpoint), slot);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        foreach (var slot in _connections.Values)
        {
            try
            {
                var connection = await slot.Value.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or OperationCanceledException or ArgumentException
                or IOException or System.Security.Authentication.AuthenticationException)
            {
                // never opened: nothing to close
            }
        }
    }

    private void OnSuspect(Connection suspect)
    {
        foreach (var listener in _suspectListeners)
        {
            listener(suspect);
        }
    }

    private Lazy<Task<Connection>> Open(string endpoint) =>
        new(() => Connection.OpenAsync(endpoint, _options.ConnectTimeout, _options.MaxInFlightPerConnection, _options.ConnectionSilenceTimeout, Counters, _options.Tls, _watch));
}
