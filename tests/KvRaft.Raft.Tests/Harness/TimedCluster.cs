// Goal: time a leader's loss the way a server sees it, below the tick: each node ticks on its own phase, messages take
// a network's latency (in order per link), a Ready with something to persist holds its node for an fsync, the leader
// takes proposals, and a killed process's connections close on the survivors a moment after its last messages arrive.
// Method: a seeded discrete-event loop over RaftNodes and MemoryStorage; time in microseconds, nothing reads a clock.
namespace KvRaft.Raft.Tests.Harness;

/// <summary>
/// A 3-node cluster on a microsecond clock for failover timing: <see cref="MeasureKill"/> elects a leader, lets it
/// replicate under load, kills it, reports the closed connections, and returns how long until a new leader commits
/// an entry of its own term (writes can resume then).
/// </summary>
internal sealed partial class TimedCluster
{
    public const long TickMicroseconds = 10_000; // the server's default tick
    private const long ProposalEveryMicroseconds = 400;

    private readonly PriorityQueue<Action, (long At, long Sequence)> _events = new();
    private readonly Dictionary<int, TimedNode> _nodes = new();
    private readonly Dictionary<(int From, int To), long> _linkFree = new(); // per link: the last delivery time (in order)
    private readonly List<string> _trace = new();
    private long _sequence;

    public TimedCluster(ulong seed, NodeOptions options, int size = 3)
    {
        Seed = seed;
        Random = new Prng(seed);
        Options = options;
        var ids = Enumerable.Range(1, size).ToArray();
        foreach (var id in ids)
        {
            var storage = new MemoryStorage(ids);
            var node = new RaftNode(options.Build(id, storage, new Prng((seed * 1_000_003UL) + (ulong)id)));
            _nodes[id] = new TimedNode(id, node, storage);
            var phase = Random.Next((int)TickMicroseconds);
            At(phase, () => OnTick(id));
        }
    }

    public ulong Seed { get; }

    public Prng Random { get; }

    public NodeOptions Options { get; }

    public long Now { get; private set; }

    /// <summary>Network latency of one message (µs): usually well under a millisecond, now and then a few.</summary>
    public Func<Prng, long> Latency { get; init; } = random => random.Chance(0.05) ? 1_000 + random.Next(4_000) : 50 + random.Next(500);

    /// <summary>How long persisting a Ready holds its node (µs): an fsync of a loaded disk.</summary>
    public Func<Prng, long> PersistDelay { get; init; } = random => random.Chance(0.1) ? 5_000 + random.Next(20_000) : 500 + random.Next(4_000);

    /// <summary>How long after a kill each survivor's transport reports the closed connection (µs).</summary>
    public Func<Prng, long> CloseNoticeDelay { get; init; } = random => 100 + random.Next(3_000);

    /// <summary>Events of the last measured failover, for a failure message.</summary>
    public string Trace => string.Join("\n", _trace);

    public bool Tracing { get; set; }

    public bool TraceAll { get; set; }

    private void NoteCampaign()
    {
        if (KilledAt > 0 && FirstCampaignAt == 0)
        {
            FirstCampaignAt = Now;
        }
    }

    /// <summary>When the last survivor was told that the killed node's connection closed (µs).</summary>
    public long LastCloseNoticeAt { get; private set; }

    /// <summary>When the first survivor was told that the killed node's connection closed (µs).</summary>
    public long FirstCloseNoticeAt { get; private set; } = long.MaxValue;

    /// <summary>When a survivor first became a pre-candidate after the last measured kill (µs; 0: none yet).</summary>
    public long FirstCampaignAt { get; private set; }

    /// <summary>When the last measured kill happened (µs).</summary>
    public long KilledAt { get; private set; }

    public RaftNode Node(int id) => _nodes[id].Raft;

    public IEnumerable<int> Ids => _nodes.Keys;

    private void At(long at, Action action) => _events.Enqueue(action, (Math.Max(at, Now), _sequence++));

    private void Note(string line)
    {
        if (Tracing)
        {
            _trace.Add($"{Now / 1000.0,9:F3} ms  {line}");
        }
    }

    /// <summary>Runs events until <paramref name="until"/> (µs) or until <paramref name="done"/> holds.</summary>
    public bool RunUntil(long until, Func<bool>? done = null)
    {
        while (_events.TryPeek(out _, out var key) && key.At <= until)
        {
            var action = _events.Dequeue();
            Now = key.At;
            action();
            if (done?.Invoke() == true)
            {
                return true;
            }
        }
        Now = until;
        return done?.Invoke() == true;
    }

    /// <summary>The live node that leads, or 0.</summary>
    public int Leader() => _nodes.Values.Where(n => n.Up && n.Raft.Role == Role.Leader).Select(n => n.Id).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Elects a leader, runs <paramref name="warmupMicroseconds"/> under load, kills the leader at a random moment, and
    /// returns the microseconds until a live leader of a newer term has committed its own no-op (or -1 within
    /// <paramref name="limitMicroseconds"/>).
    /// </summary>
    public long MeasureKill(long warmupMicroseconds = 500_000, long limitMicroseconds = 5_000_000, bool connectionsClose = true)
    {
        if (!RunUntil(10_000_000, () => Leader() != 0))
        {
            throw new InvalidOperationException($"no first leader (seed {Seed})");
        }

        At(Now, () => OnPropose());
        RunUntil(Now + warmupMicroseconds + Random.Next((int)TickMicroseconds));
        var old = Leader();
        if (old == 0)
        {
            throw new InvalidOperationException($"no leader before the kill (seed {Seed})");
        }

        var oldTerm = _nodes[old].Raft.Term;
        Tracing = true;
        _trace.Clear();
        KilledAt = Now;
        Kill(old, connectionsClose);
        var done = RunUntil(KilledAt + limitMicroseconds, () => NewLeaderCommitted(oldTerm));
        return done ? Now - KilledAt : -1;
    }

    private bool NewLeaderCommitted(long oldTerm) => _nodes.Values.Any(n =>
        n.Up && n.Raft.Role == Role.Leader && n.Raft.Term > oldTerm && n.NoOpIndex > 0 && n.Raft.Committed >= n.NoOpIndex);

    /// <summary>
    /// SIGKILL: the node stops at once; each survivor sees its connection close after the messages already sent. Without
    /// <paramref name="connectionsClose"/>, a SIGSTOP: the connections stay up and nothing tells the survivors.
    /// </summary>
    public void Kill(int id, bool connectionsClose = true)
    {
        _nodes[id].Up = false;
        Note($"n{id} {(connectionsClose ? "killed" : "paused")} (term {_nodes[id].Raft.Term}, last {_nodes[id].Raft.LastIndex})");
        if (!connectionsClose)
        {
            return;
        }

        foreach (var other in _nodes.Keys.Where(other => other != id))
        {
            var notice = Math.Max(Now + CloseNoticeDelay(Random), _linkFree.GetValueOrDefault((id, other)) + 1);
            At(notice, () => OnEvent(other, node =>
            {
                Note($"n{other} sees n{id}'s connection close");
                LastCloseNoticeAt = Math.Max(LastCloseNoticeAt, Now);
                FirstCloseNoticeAt = Math.Min(FirstCloseNoticeAt, Now);
                node.ReportUnreachable(id);
            }));
        }
    }
}
