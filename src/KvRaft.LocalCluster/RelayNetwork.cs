using System.Net;

namespace KvRaft.LocalCluster;

/// <summary>
/// The peer network of a cluster on 127.0.0.1, made of <see cref="LinkRelay"/>s: one per ordered pair of
/// nodes (the links a node dials), so every fault is made outside the nodes. A node is configured with
/// <see cref="PeersOf"/>: its own real peer address and a relay for every other node. Rules are directed
/// cuts: a cut from a to b drops what a sends to b, on a's relay to b and on b's relay to a alike (whichever
/// of the two the nodes use); a pair cut both ways has its connections closed and new ones refused. Thread-safe.
/// </summary>
public sealed class RelayNetwork : IAsyncDisposable
{
    private readonly Dictionary<(int From, int To), LinkRelay> _relays = [];
    private readonly Dictionary<int, int> _peerPorts;
    private readonly Lock _lock = new();
    private readonly HashSet<(int From, int To)> _cuts = [];
    private int _dropPercent;
    private int _delayMillisecondsMax;

    private RelayNetwork(IReadOnlyDictionary<int, int> peerPorts) => _peerPorts = new Dictionary<int, int>(peerPorts);

    /// <summary>The nodes, by id.</summary>
    public IReadOnlyCollection<int> NodeIds => _peerPorts.Keys;

    /// <summary>
    /// Starts a relay for every ordered pair of the nodes whose real peer ports on 127.0.0.1 are <paramref name="peerPorts"/>
    /// (by node id); <paramref name="seed"/> drives random loss and delay.
    /// </summary>
    public static RelayNetwork Start(IReadOnlyDictionary<int, int> peerPorts, int seed, RelayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(peerPorts);
        var network = new RelayNetwork(peerPorts);
        try
        {
            foreach (var from in peerPorts.Keys.Order())
            {
                foreach (var to in peerPorts.Keys.Order().Where(id => id != from))
                {
                    var relay = new LinkRelay(from, to, new IPEndPoint(IPAddress.Loopback, peerPorts[to]), HashCode.Combine(seed, from, to), options);
                    network._relays[(from, to)] = relay;
                    relay.Start();
                }
            }
            return network;
        }
        catch
        {
            network.DisposeAsync().AsTask().GetAwaiter().GetResult(); // nothing is connected yet: disposal does not wait on any peer
            throw;
        }
    }

    /// <summary>The relay node <paramref name="fromNodeId"/> dials to reach node <paramref name="toNodeId"/>.</summary>
    public LinkRelay Relay(int fromNodeId, int toNodeId) => _relays[(CheckNode(fromNodeId), CheckNode(toNodeId))];

    /// <summary>The --peers value of node <paramref name="nodeId"/>: its own real peer address, and a relay for every other node.</summary>
    public string PeersOf(int nodeId)
    {
        CheckNode(nodeId);
        return string.Join(',', _peerPorts.Keys.Order().Select(id =>
            $"{id}=127.0.0.1:{(id == nodeId ? _peerPorts[id] : _relays[(nodeId, id)].Port)}"));
    }

    /// <summary>The directed cuts in force, in order.</summary>
    public IReadOnlyList<(int From, int To)> Cuts
    {
        get
        {
            lock (_lock)
            {
                return [.. _cuts.Order()];
            }
        }
    }

    /// <summary>The counters of every relay, summed.</summary>
    public RelayStatistics Statistics => _relays.Values.Aggregate(default(RelayStatistics), (sum, relay) => sum + relay.Statistics);

    /// <summary>Connections open through every relay now.</summary>
    public int OpenConnections => _relays.Values.Sum(relay => relay.OpenConnections);

    /// <summary>Drops everything node <paramref name="fromNodeId"/> sends to node <paramref name="toNodeId"/> (one way).</summary>
    public void Cut(int fromNodeId, int toNodeId)
    {
        if (CheckNode(fromNodeId) == CheckNode(toNodeId))
        {
            throw new ArgumentException("a node has no link to itself", nameof(toNodeId));
        }

        Change(cuts => cuts.Add((fromNodeId, toNodeId)));
    }

    /// <summary>Cuts node <paramref name="nodeId"/> off from every other node, both ways.</summary>
    public void Isolate(int nodeId)
    {
        CheckNode(nodeId);
        Change(cuts =>
        {
            foreach (var other in _peerPorts.Keys.Where(id => id != nodeId))
            {
                cuts.Add((nodeId, other));
                cuts.Add((other, nodeId));
            }
        });
    }

    /// <summary>Splits the nodes into <paramref name="groups"/> that cannot reach each other; replaces every cut in force (nodes in no group reach everyone).</summary>
    public void Partition(params IReadOnlyList<int>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (var id in groups.SelectMany(group => group))
        {
            CheckNode(id);
        }

        Change(cuts =>
        {
            cuts.Clear();
            for (var left = 0; left < groups.Length; left++)
            {
                for (var right = 0; right < groups.Length; right++)
                {
                    if (left == right)
                    {
                        continue;
                    }

                    foreach ((var from, var to) in groups[left].SelectMany(from => groups[right].Select(to => (from, to))))
                    {
                        cuts.Add((from, to));
                    }
                }
            }
        });
    }

    /// <summary>Every relay drops <paramref name="dropPercent"/>% of the frames and delays the others by 0 to <paramref name="delayMillisecondsMax"/> ms.</summary>
    public void SetUnreliable(int dropPercent, int delayMillisecondsMax)
    {
        lock (_lock)
        {
            foreach (var relay in _relays.Values)
            {
                relay.SetUnreliable(dropPercent, delayMillisecondsMax);
            }

            (_dropPercent, _delayMillisecondsMax) = (dropPercent, delayMillisecondsMax);
        }
    }

    /// <summary>Removes every cut and every loss and delay: the network is whole again.</summary>
    public void Heal()
    {
        SetUnreliable(0, 0);
        Change(cuts => cuts.Clear());
    }

    /// <summary>The rules in force, e.g. "cuts: 1->3 3->1; drop 0%, delay up to 0 ms", or "no faults".</summary>
    public override string ToString()
    {
        lock (_lock)
        {
            if (_cuts.Count == 0 && _dropPercent == 0 && _delayMillisecondsMax == 0)
            {
                return "no faults";
            }

            var cuts = _cuts.Count == 0 ? "none" : string.Join(' ', _cuts.Order().Select(cut => $"{cut.From}->{cut.To}"));
            return $"cuts: {cuts}; drop {_dropPercent}%, delay up to {_delayMillisecondsMax} ms";
        }
    }

    /// <summary>Closes every relay and its connections.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var relay in _relays.Values)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Change(Action<HashSet<(int From, int To)>> change)
    {
        lock (_lock)
        {
            change(_cuts);
            foreach (((var from, var to), var relay) in _relays)
            {
                relay.SetCuts(_cuts.Contains((from, to)), _cuts.Contains((to, from)));
            }
        }
    }

    private int CheckNode(int id) => _peerPorts.ContainsKey(id) ? id : throw new ArgumentOutOfRangeException(nameof(id), id, "not a node of this network");
}
