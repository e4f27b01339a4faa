namespace KvRaft.LocalCluster;

/// <summary>
/// Network faults of a local cluster, made outside the nodes: with <see cref="LocalClusterOptions.LinkRelays"/>
/// every peer link runs through a <see cref="LinkRelay"/> of this process (<see cref="Network"/>), and a fault is a
/// cut of relays. The nodes know nothing of it: a killed, paused or restarted node finds the links as they are.
/// </summary>
public sealed partial class LocalCluster
{
    private readonly List<string> _rules = [];

    /// <summary>The relays every peer link runs through, or null when the cluster was started without <see cref="LocalClusterOptions.LinkRelays"/>.</summary>
    public RelayNetwork? Network { get; }

    /// <summary>The fault rules given since the last heal, in order.</summary>
    public IReadOnlyList<string> FaultRules
    {
        get
        {
            lock (_rules)
            {
                return [.. _rules];
            }
        }
    }

    /// <summary>Cuts node <paramref name="nodeId"/> off from every other node, both ways: its peer connections close at once and new ones are refused.</summary>
    public void Isolate(int nodeId)
    {
        Relays.Isolate(CheckNode(nodeId));
        Record($"isolate node {nodeId}");
    }

    /// <summary>Splits the nodes into <paramref name="groups"/> that cannot reach each other (replaces earlier partitions and cuts).</summary>
    public void Partition(IReadOnlyList<IReadOnlyList<int>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Relays.Partition([.. groups]);
        Record("partition " + string.Join(' ', groups.Select(group => "[" + string.Join(' ', group) + "]")));
    }

    /// <summary>Drops every message from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> (one way).</summary>
    public void Cut(int fromNodeId, int toNodeId)
    {
        Relays.Cut(CheckNode(fromNodeId), CheckNode(toNodeId));
        Record($"cut {fromNodeId}->{toNodeId}");
    }

    /// <summary>Removes every fault rule: the links are whole again (dialling nodes reconnect within their backoff).</summary>
    public void Heal()
    {
        Relays.Heal();
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    private RelayNetwork Relays => Network ?? throw new InvalidOperationException("network faults need a cluster started with LocalClusterOptions.LinkRelays");

    private void Record(string rule)
    {
        lock (_rules)
        {
            _rules.Add(rule);
        }
    }

    private bool IsPaused(int id)
    {
        lock (_paused)
        {
            return _paused.Contains(id);
        }
    }

    private int CheckNode(int id)
    {
        if (CheckSlot(id) > NodeCount)
        {
            throw new InvalidOperationException($"node {id} joined at runtime: its peer links are direct (the address the configuration records), out of the relays' reach");
        }

        return id;
    }
}
