using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// A client of a KvRaft cluster. Thread-safe: share one instance between all threads.
/// </summary>
/// <remarks>
/// <para>
/// <b>Connections.</b> The client opens one connection per server, lazily, and keeps many requests in
/// flight on it, matched to their answers by request id (answers may come in any order). Requests
/// issued by many threads at the same moment are written to the socket together, in one write.
/// </para>
/// <para>
/// <b>Leader.</b> The client finds the leader by itself: it follows NotLeader hints, otherwise tries
/// the endpoints round-robin, and fails over when a connection drops.
/// </para>
/// <para>
/// <b>Sharded clusters.</b> The client finds out by itself: the first WrongGroup answer (the controller, group 0, serves
/// no keys) makes it ask the controller for the shard configuration. From then on it sends each key to the leader of
/// its shard's group (one connection per server, shared by the groups; one session pool per group), and after a
/// WrongGroup asks for a newer configuration and resends the same request (same session and sequence) to the new owner.
/// </para>
/// <para>
/// <b>Exactly-once writes.</b> The server deduplicates writes by (client id, sequence) but remembers
/// only the last sequence of each session, so a session may have only one write outstanding. The
/// client therefore keeps a pool of sessions (registered lazily, at most
/// <see cref="KvClientOptions.SessionPoolSize"/>): each in-flight write takes a free session, uses
/// the session's next sequence, is resent under that same (client id, sequence) after lost
/// connections, leader changes and Retryable answers until it gets a definite answer, and then
/// gives the session back. So many writes are in flight at once and each is applied at most once.
/// A write whose outcome stays unknown (deadline, cancellation) retires its session for good.
/// </para>
/// <para>
/// <b>Errors.</b> <see cref="KvNotAppliedException"/> (and its subclasses
/// <see cref="KvInvalidArgumentException"/> and <see cref="KvClusterUnavailableException"/>): the
/// operation definitely did not take effect. <see cref="KvOutcomeUnknownException"/>: it may have
/// taken effect, or may still. <see cref="OperationCanceledException"/>: cancelled by the caller
/// before anything was sent. <see cref="KvOutcome.Classify"/> maps these to the history format.
/// </para>
/// </remarks>
public sealed partial class KvClient : IAsyncDisposable, IDisposable
{
    private readonly KvClientOptions _options;
    private readonly ConnectionPool _pool;
    private readonly Cluster _cluster; // group 0's: the one group of an unsharded store, or a sharded cluster's controller
    private readonly RequestRunner _runner;
    private readonly ShardRouter _router;
    private readonly DeadlinePool _deadlines;
    private int _disposed;

    private KvClient(IReadOnlyList<string> endpoints, KvClientOptions options)
    {
        _options = options;
        _pool = new ConnectionPool(options);
        _deadlines = new DeadlinePool(options.MaxInFlightPerConnection);
        var controller = NewRoute(0, endpoints);
        _cluster = controller.Cluster;
        _runner = controller.Runner;
        _router = new ShardRouter(controller, NewRoute);
    }

    /// <summary>A replica group's route: its leader guess over the shared connections, its runner, its sessions (registered in it).</summary>
    private GroupRoute NewRoute(int groupId, IReadOnlyList<string> endpoints)
    {
        var cluster = new Cluster(endpoints, _options, _pool, groupId);
        var runner = new RequestRunner(cluster, _options);
        return new GroupRoute(cluster, runner, new SessionPool(_options.SessionPoolSize, deadline => RegisterAsync(runner, deadline)));
    }

    /// <summary>Frames sent and the socket writes that carried them (for tests and tooling).</summary>
    internal ClientCounters Counters => _pool.Counters;

    /// <summary>The shard configuration the client routes by; null while the cluster is taken for an unsharded store (for tests).</summary>
    internal Protocol.Sharding.ShardConfiguration? ShardConfiguration => _router.Configuration;

    /// <summary>Leader probes that moved the client off a quiet connection (for tests).</summary>
    internal long ProbeMoves => _cluster.ProbeMoves;

    /// <summary>Probe rounds that found no leader and wait to ask again (for tests).</summary>
    internal long ProbeRoundsWithoutLeader => _cluster.ProbeRoundsWithoutLeader;

    /// <summary>Idle registered sessions (for tests).</summary>
    internal int IdleSessionCount => _router.Controller.Sessions.IdleCount;

    /// <summary>
    /// Creates a client for the cluster at <paramref name="endpoints"/> ("host:port" client addresses
    /// of some or all servers). Nothing is connected yet: connections open on first use.
    /// </summary>
    /// <exception cref="ArgumentException">No endpoint, or one that is not "host:port".</exception>
    public static KvClient Connect(IEnumerable<string> endpoints, KvClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var list = endpoints.Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("at least one endpoint is needed", nameof(endpoints));
        }
        foreach (var endpoint in list)
        {
            Endpoints.Parse(endpoint);
        }
        options ??= new KvClientOptions();
        options.Validate();
        return new KvClient(list, options);
    }

    /// <summary>Like <see cref="Connect"/>, then opens a connection to the first reachable endpoint.</summary>
    /// <exception cref="KvClusterUnavailableException">No endpoint accepted a connection.</exception>
    public static async Task<KvClient> ConnectAsync(IEnumerable<string> endpoints, KvClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var client = Connect(endpoints, options);
        Exception? last = null;
        for (var i = 0; i < client._cluster.EndpointCount; i++)
        {
            var endpoint = client._cluster.Target;
            try
            {
                await client._cluster.ConnectAsync(endpoint).WaitAsync(cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or TimeoutException or IOException or System.Security.Authentication.AuthenticationException
                || (error is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = error;
                client._cluster.MoveOn(endpoint);
            }
        }
        await client.DisposeAsync().ConfigureAwait(false);
        throw new KvClusterUnavailableException("no endpoint accepted a connection" + (last is null ? "" : ": " + last.Message), last);
    }

    /// <summary>Closes every connection; calls still in flight fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _pool.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every connection; calls still in flight fail.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Deadline Start(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var span = timeout ?? _options.OperationTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(timeout));
        return _deadlines.Start(span, cancellationToken);
    }

    private static async Task<ulong> RegisterAsync(RequestRunner runner, Deadline deadline)
    {
        try
        {
            var response = await runner.RunAsync(new ClientRequest { Op = ClientOp.RegisterSession }, deadline, new Attempts()).ConfigureAwait(false);
            return response.ClientId;
        }
        catch (KvOutcomeUnknownException unknown)
        {
            throw new KvNotAppliedException("no session could be registered before the deadline: the write was not sent", unknown);
        }
    }
}
