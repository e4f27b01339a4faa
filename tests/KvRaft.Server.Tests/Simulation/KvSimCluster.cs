using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>
/// A deterministic cluster of production KvNodes over in-memory storage twins and a simulated
/// network, driven by one seed, with clients that record a history for the linearizability checker.
/// </summary>
internal sealed class KvSimCluster : IDisposable
{
    private readonly List<KvSimNode> _nodes = new();
    private readonly List<KvSimClient> _clients = new();
    private readonly List<Operation> _history = new();
    private readonly Dictionary<string, string> _lastSeen = new();
    private readonly string _directory;

    /// <summary>
    /// <paramref name="nodeCount"/> bootstrap voters, and <paramref name="spareNodes"/> more nodes (the next ids) started
    /// empty with the same bootstrap configuration, no members until a change adds them.
    /// </summary>
    public KvSimCluster(ulong seed, int nodeCount, int clientCount, int keyCount, ServerLimits? limits = null, bool leaseReads = false, int spareNodes = 0)
    {
        Seed = seed;
        LeaseReads = leaseReads;
        Random = new Prng(seed);
        Network = new KvSimNetwork(this, Random);
        _directory = Path.Combine(Path.GetTempPath(), $"kvraft-sim-{seed}-{Guid.NewGuid():N}");
        var voters = Enumerable.Range(1, nodeCount).ToArray();
        LogWriteDelayTicksMax = Random.Chance(0.5) ? 2 : 0;
        limits ??= new ServerLimits { SnapshotAfterLogBytes = 8 << 10, CompactionLagEntries = 8, CompactionLagBytes = 0, RequestTimeoutTicks = 100 };
        for (var id = 1; id <= nodeCount + spareNodes; id++)
        {
            _nodes.Add(new KvSimNode(this, id, voters, Path.Combine(_directory, $"n{id}"), limits));
        }

        for (var i = 0; i < clientCount; i++)
        {
            _clients.Add(new KvSimClient(this, i + 1, new Prng(Random.NextUInt64()), keyCount));
        }

        foreach (var node in _nodes)
        {
            node.Start();
        }
    }

    public ulong Seed { get; }

    /// <summary>Leaders serve reads from their lease (KvNodeOptions.LeaseReads).</summary>
    public bool LeaseReads { get; }

    /// <summary>
    /// Log writes end after a drawn delay of up to this many ticks (drawn per seed); with 0 each ends at once, as
    /// the host reports a commit that completed synchronously (a fast disk).
    /// </summary>
    public int LogWriteDelayTicksMax { get; }

    public Prng Random { get; }

    public KvSimNetwork Network { get; }

    public long Tick { get; private set; }

    public int NodeCount => _nodes.Count;

    public IReadOnlyList<Operation> History => _history;

    public KvSimNode Node(int id) => _nodes[id - 1];

    public IEnumerable<KvSimNode> Nodes => _nodes;

    public KvSimNode? Leader => _nodes.FirstOrDefault(n => n.Node?.RaftStatus.Role == Role.Leader);

    /// <summary>Runs <paramref name="ticks"/> ticks; clients start new operations while <paramref name="load"/>.</summary>
    public void Run(int ticks, bool load = true, Action<KvSimCluster>? everyTick = null)
    {
        for (var i = 0; i < ticks; i++)
        {
            Tick++;
            Network.DeliverDue();
            foreach (var client in _clients)
            {
                client.Act(load && Random.Chance(0.5));
            }

            foreach (var node in _nodes)
            {
                node.Step();
            }

            everyTick?.Invoke(this);
        }
    }

    /// <summary>Lets every outstanding operation finish or give up, with no new ones.</summary>
    public void Drain(int ticksMax = 1000)
    {
        for (var i = 0; i < ticksMax && _clients.Any(c => !c.Idle); i++)
        {
            Run(1, load: false);
        }
    }

    public void SendRequest(KvSimClient client, int node, ClientRequest request)
    {
        var connection = client.ConnectionId(node);
        if (Network.IsCut(0, node) || !Node(node).IsUp)
        {
            return; // lost: the client times out and fails over
        }

        Node(node).Request(connection, request);
    }

    /// <summary>Answers on connections of no simulated client (a test's own requests): node, connection, status, leader named.</summary>
    public List<(int Node, long Connection, ClientStatus Status, int LeaderId)> OtherResponses { get; } = new();

    public void OnResponse(int node, long connectionId, in ClientResponse response)
    {
        var number = (int)(connectionId / 100);
        if (number < 1 || number > _clients.Count)
        {
            OtherResponses.Add((node, connectionId, response.Status, response.LeaderId));
            return;
        }
        _clients[number - 1].OnResponse(node, response);
    }

    public void Record(Operation operation) => _history.Add(operation);

    /// <summary>Every configuration a node told its peer outbox of, in order (IPeerOutbox.OnMembersChanged).</summary>
    public List<(int Node, ConfigState Config)> MembersChanges { get; } = new();

    public string? LastValueSeen(string key) => _lastSeen.TryGetValue(key, out var value) ? value : null;

    public void SawValue(string key, string value) => _lastSeen[key] = value;

    /// <summary>Checks the history; throws with the seed and the violation when it is not linearizable.</summary>
    public CheckResult CheckLinearizable()
    {
        var result = HistoryChecker.Check(_history);
        Assert.True(result.IsLinearizable, $"seed {Seed}: {result.Describe()}");
        return result;
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
