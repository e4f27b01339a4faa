namespace KvRaft.Client;

/// <summary>
/// The servers of one replica group (group 0: the controller of a sharded cluster, or the one group of a store that is
/// not sharded) and the current guess of its leader, over the client's shared connections (<see cref="ConnectionPool"/>).
/// NotLeader hints move the guess to the named leader; failures and hintless NotLeader answers move it to the next
/// endpoint, round-robin; a connection whose requests wait without an answer has the other servers asked who leads
/// the group (Cluster.Probe.cs). Thread-safe.
/// </summary>
internal sealed partial class Cluster
{
    private readonly KvClientOptions _options;
    private readonly ConnectionPool _pool;
    private readonly Lock _endpointsLock = new();
    private string[] _endpoints;
    private string _leader;
    private TaskCompletionSource _leaderMoved = new(TaskCreationOptions.RunContinuationsAsynchronously); // replaced each time it completes

    public Cluster(IReadOnlyList<string> endpoints, KvClientOptions options, ConnectionPool pool, int groupId = 0)
    {
        _endpoints = endpoints.ToArray();
        _leader = _endpoints[0];
        _options = options;
        _pool = pool;
        GroupId = groupId;
        pool.OnSuspect(OnSuspect);
    }

    /// <summary>The replica group whose leader this tracks; its requests name it in their frames.</summary>
    public int GroupId { get; }

    /// <summary>The client's connections, shared by every group.</summary>
    public ConnectionPool Pool => _pool;

    /// <summary>Endpoints known so far: the configured ones and any learned from hints.</summary>
    public int EndpointCount => Volatile.Read(ref _endpoints).Length;

    /// <summary>Where the next request should go.</summary>
    public string Target => Volatile.Read(ref _leader);

    /// <summary>The open connection to <paramref name="endpoint"/>, opening one if there is none.</summary>
    public Task<Connection> ConnectAsync(string endpoint) => _pool.ConnectAsync(endpoint);

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
