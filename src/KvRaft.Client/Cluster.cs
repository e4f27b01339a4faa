using System.Collections.Concurrent;

namespace KvRaft.Client;

/// <summary>
/// The servers a client knows: one lazily opened connection per endpoint, and the current guess of
/// the leader. NotLeader hints move the guess to the named leader; failures and hintless NotLeader
/// answers move it to the next endpoint, round-robin; a connection whose requests wait without an answer has the other
/// servers asked who leads (Cluster.Probe.cs). Thread-safe.
/// </summary>
internal sealed partial class Cluster : IAsyncDisposable
{
    private readonly KvClientOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<Task<Connection>>> _connections = new(StringComparer.Ordinal);
    private readonly Lock _endpointsLock = new();
    private string[] _endpoints;
    private readonly ConnectionWatch _watch;
    private string _leader;
    private TaskCompletionSource _leaderMoved = new(TaskCreationOptions.RunContinuationsAsynchronously); // replaced each time it completes
    private bool _disposed;

    public Cluster(IReadOnlyList<string> endpoints, KvClientOptions options)
    {
        _endpoints = endpoints.ToArray();
        _leader = _endpoints[0];
        _options = options;
        _watch = new ConnectionWatch(options.Time, OnSuspect);
    }

    public ClientCounters Counters { get; } = new();

    /// <summary>Endpoints known so far: the configured ones and any learned from hints.</summary>
    public int EndpointCount => Volatile.Read(ref _endpoints).Length;

    /// <summary>Where the next request should go.</summary>
    public string Target => Volatile.Read(ref _leader);

    /// <summary>The open connection to <paramref name="endpoint"/>, opening one if there is none.</summary>
    public Task<Connection> ConnectAsync(string endpoint)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        while (true)
        {
            var slot = _connections.GetOrAdd(endpoint, Open);
            var task = slot.Value;
            var broken = task.IsFaulted || task.IsCanceled || (task.IsCompletedSuccessfully && task.Result.IsClosed);
            if (!broken)
            {
                return task;
            }
            _connections.TryUpdate(endpoint, Open(endpoint), slot);
        }
    }

    /// <summary>A NotLeader answer from <paramref name="tried"/>: go to the hinted leader, or to the next endpoint.</summary>
    public void OnNotLeader(string tried, string? hint)
    {
        if (hint is not null && hint != tried && Endpoints.IsValid(hint))
        {
            Learn(hint);
            MoveTo(hint);
            return;
        }
        MoveOn(tried);
    }

    /// <summary>
    /// Completes once a hint or a probe names a leader other than the target of the moment: calls pausing between rounds
    /// of endpoints (the pause grows to <see cref="KvClientOptions.RetryBackoffMax"/> during an election) go there at once.
    /// Read it before an attempt, await it in the pause after.
    /// </summary>
    public Task LeaderMoved => Volatile.Read(ref _leaderMoved).Task;

    /// <summary>Makes <paramref name="leader"/> the target; when it was another, completes <see cref="LeaderMoved"/>.</summary>
    private void MoveTo(string leader)
    {
        if (Interlocked.Exchange(ref _leader, leader) != leader)
        {
            Interlocked.Exchange(ref _leaderMoved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>No connection to <paramref name="tried"/>, or it dropped: try the next endpoint.</summary>
    public void MoveOn(string tried)
    {
        var endpoints = Volatile.Read(ref _endpoints);
        var index = Array.IndexOf(endpoints, tried);
        var next = endpoints[(index + 1) % endpoints.Length];
        Interlocked.CompareExchange(ref _leader, next, tried);
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

    private Lazy<Task<Connection>> Open(string endpoint) =>
        new(() => Connection.OpenAsync(endpoint, _options.ConnectTimeout, _options.MaxInFlightPerConnection, _options.ConnectionSilenceTimeout, Counters, _options.Tls, _watch));

    private void Learn(string endpoint)
    {
        lock (_endpointsLock)
        {
            if (!_endpoints.Contains(endpoint))
            {
                Volatile.Write(ref _endpoints, [.. _endpoints, endpoint]);
            }
        }
    }
}
