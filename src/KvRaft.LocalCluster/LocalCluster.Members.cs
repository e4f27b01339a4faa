namespace KvRaft.LocalCluster;

/// <summary>
/// Growing and shrinking: the cluster reserves <see cref="LocalClusterOptions.SpareNodes"/> node slots beyond the
/// initial nodes (ports picked and recorded in cluster.ports with the others), each started once, on demand, as a node
/// that joins (--join) under a new id; members leave through the client protocol (<see cref="RemoveAsync"/>), and a
/// dead node's data folder can be wiped. A slot's id is never used again once its node is removed: a new member always
/// takes a new id (docs/operations.md, "Replacing a dead node"). With <see cref="LocalClusterOptions.LinkRelays"/> a
/// joined node's peer links are direct (its address is the one the configuration records): network faults act on the
/// initial nodes only.
/// </summary>
public sealed partial class LocalCluster
{
    /// <summary>The most spare slots a cluster reserves.</summary>
    public const int MaxSpareNodes = 16;

    private readonly HashSet<int> _removed = [];

    /// <summary>The id the next added node takes (invariant: NodeCount &lt; it &lt;= slots + 1; guarded by <see cref="_removed"/>).</summary>
    private int _nextSpareId;

    /// <summary>The nodes started so far and not removed (running or not), in id order: the initial ones, then those added.</summary>
    public IReadOnlyList<int> NodeIds
    {
        get
        {
            lock (_removed)
            {
                return [.. Enumerable.Range(1, _nextSpareId - 1).Where(id => !_removed.Contains(id))];
            }
        }
    }

    /// <summary>Spare slots not used yet.</summary>
    public int SpareNodesLeft
    {
        get
        {
            lock (_removed)
            {
                return _ports.Length - _nextSpareId + 1;
            }
        }
    }

    /// <summary>The client address of node <paramref name="id"/> (an initial node or a spare slot).</summary>
    public string ClientEndpoint(int id) => $"127.0.0.1:{_ports[CheckSlot(id) - 1].Client}";

    /// <summary>The peer address node <paramref name="id"/> listens on (the one a joined node's configuration records).</summary>
    public string PeerEndpoint(int id) => $"127.0.0.1:{_ports[CheckSlot(id) - 1].Peer}";

    /// <summary>The data folder of node <paramref name="id"/>.</summary>
    public string NodeDirectory(int id) => Path.Combine(_directory, $"node-{CheckSlot(id)}");

    /// <summary>
    /// Starts the next spare slot as a new node that joins the cluster as a learner (--join, through the members that
    /// run now) and returns its id once the leader's member list shows it. Promote it with
    /// <see cref="Client.KvClient.PromoteLearnerAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No spare slot is left, or the node exited while joining (its log says why).</exception>
    public async Task<int> AddNodeAsync(CancellationToken cancellation = default)
    {
        int id;
        lock (_removed)
        {
            if (_nextSpareId > _ports.Length)
            {
                throw new InvalidOperationException($"no spare node left (LocalClusterOptions.SpareNodes is {_options.SpareNodes})");
            }

            id = _nextSpareId++;
        }
        await StartNodeAsync(id).ConfigureAwait(false); // in process mode the join is done when it returns
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_options.StartTimeout);
        while (true)
        {
            if (!IsRunning(id))
            {
                throw new InvalidOperationException($"node {id} stopped while joining: see {Path.Combine(_directory, $"node-{id}.log")}");
            }

            var listing = await Client.MemberListAsync(timeout: TimeSpan.FromSeconds(5), cancellationToken: deadline.Token).ConfigureAwait(false);
            if (listing.Members.Any(member => member.NodeId == id))
            {
                return id;
            }

            await Task.Delay(50, deadline.Token).ConfigureAwait(false); // polling the leader's configuration: no event to wait on
        }
    }

    /// <summary>
    /// Takes node <paramref name="id"/> out of the configuration through the client protocol, then, if it still runs,
    /// waits until another node leads (a leader that removed itself steps down) and stops it (SIGTERM, then SIGKILL after
    /// <paramref name="grace"/>). Its id is never used again; its data folder stays (<see cref="WipeData"/>).
    /// </summary>
    public async Task RemoveAsync(int id, TimeSpan grace, CancellationToken cancellation = default)
    {
        await Client.RemoveMemberAsync(CheckSlot(id), cancellationToken: cancellation).ConfigureAwait(false);
        lock (_removed)
        {
            _removed.Add(id); // from here on FindLeaderAsync no longer asks it
        }

        if (IsRunning(id))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(_options.StartTimeout);
            while (await FindLeaderAsync(deadline.Token).ConfigureAwait(false) is not { } leader || leader == id)
            {
                await Task.Delay(20, deadline.Token).ConfigureAwait(false); // polling the nodes' status: no event to wait on
            }

            await StopAsync(id, grace).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the data folder of node <paramref name="id"/>, which must not run (a dead machine's disk, lost).</summary>
    public void WipeData(int id)
    {
        if (IsRunning(id))
        {
            throw new InvalidOperationException($"node {id} runs: stop or kill it before wiping its data");
        }

        if (Directory.Exists(NodeDirectory(id)))
        {
            Directory.Delete(NodeDirectory(id), recursive: true);
        }
    }

    /// <summary>True for a node started once and not removed.</summary>
    private bool IsStarted(int id)
    {
        lock (_removed)
        {
            return id < _nextSpareId && !_removed.Contains(id);
        }
    }

    /// <summary>The client endpoints a joining node <paramref name="id"/> asks: every other member running now.</summary>
    private string JoinEndpoints(int id) => string.Join(',', NodeIds.Where(other => other != id && IsRunning(other)).Select(ClientEndpoint));

    private int CheckSlot(int id)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, _ports.Length);
        return id;
    }
}
