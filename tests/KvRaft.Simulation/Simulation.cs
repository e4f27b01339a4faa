using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// One deterministic run of a simulated cluster, fixed entirely by its seed: a chaos phase
/// (crashes, partitions, loss, delay, duplication, reordering, client load, leadership transfers,
/// snapshots) with safety checked after every tick, then a liveness phase that heals everything
/// and requires a leader and progress within a bound.
/// </summary>
public sealed partial class Simulation
{
    internal const int ElectionTicks = 10;
    private readonly List<SimNode> _nodes = new();
    private readonly List<Envelope> _due = new();
    private readonly SimNetwork _network;
    private readonly FaultProfile _profile;

    /// <summary>Creates the run for <paramref name="options"/>.</summary>
    public Simulation(SimulationOptions options)
    {
        Options = options;
        Random = new Prng(options.Seed);
        _network = new SimNetwork(Random);
        _profile = FaultProfile.Draw(Random);
        Checker = new SafetyChecker(this);
        Clients = new SimClients(this);
        int count = options.NodeCount != 0 ? options.NodeCount : (Random.Chance(0.5) ? 3 : 5);
        int[] voters = Enumerable.Range(1, count).ToArray();
        int snapshotEvery = 8 + Random.Next(40);
        int compactionLag = Random.Next(6);
        int appendEntriesMax = new[] { 1, 2, 4, 8, 64 }[Random.Next(5)];
        int inflightMax = new[] { 1, 2, 4, 16 }[Random.Next(4)];
        AsyncStorageWrites = Random.Chance(0.5);
        foreach (int id in voters)
        {
            _nodes.Add(new SimNode(this, id, voters)
            {
                SnapshotEveryEntries = snapshotEvery,
                CompactionLagEntries = compactionLag,
                AppendEntriesMax = appendEntriesMax,
                InflightMessagesMax = inflightMax,
                LeaseReads = _profile.LeaseReads,
                AsyncStorageWrites = AsyncStorageWrites,
            });
        }
    }

    internal SimulationOptions Options { get; }

    /// <summary>Nodes write each Ready in the background and take the next one meanwhile (drawn per run).</summary>
    internal bool AsyncStorageWrites { get; }

    internal Prng Random { get; }

    internal SafetyChecker Checker { get; }

    internal SimClients Clients { get; }

    /// <summary>The current simulated tick.</summary>
    public long Tick { get; private set; }

    /// <summary>Runs the whole simulation; throws <see cref="SimulationFailure"/> on a broken property.</summary>
    public SimulationResult Run()
    {
        Trace($"seed {Options.Seed}: {_nodes.Count} nodes, {(AsyncStorageWrites ? "asynchronous" : "synchronous")} storage writes, profile {_profile}");
        foreach (SimNode node in _nodes) node.Start();
        try
        {
            for (; Tick < Options.ChaosTicks; Tick++)
            {
                InjectFaults();
                ClientActions();
                Step();
            }
            long livenessTicks = RunLiveness();
            return new SimulationResult(Options.Seed, _nodes.Count, Tick, Checker.GlobalCommitted, Clients.WritesProposed, Clients.ReadsReleased, livenessTicks);
        }
        catch (InvariantException invariant)
        {
            throw new SimulationFailure(Options.Seed, Tick, "core invariant: " + invariant.Message);
        }
    }

    private void Step()
    {
        foreach (Envelope envelope in _network.TakeDue(Tick, _due)) Deliver(envelope);
        foreach (SimNode node in _nodes)
        {
            if (node.Raft is { } raft && !SkipsTick(node)) raft.Tick();
        }
        foreach (SimNode node in _nodes) node.Process(Tick);
        Checker.AfterStep(_nodes);
    }

    /// <summary>
    /// Clock drift: a node's clock loses a tick now and then, at most one tick in any
    /// <see cref="ElectionTicks"/> (the drift bound that lease reads assume).
    /// </summary>
    private bool SkipsTick(SimNode node)
    {
        if (_profile.TickSkipProbability == 0 || Tick - node.LastSkippedTick < ElectionTicks) return false;
        if (!Random.Chance(_profile.TickSkipProbability)) return false;
        node.LastSkippedTick = Tick;
        return true;
    }

    private void Deliver(Envelope envelope)
    {
        Message message = envelope.Message;
        SimNode target = _nodes[message.To - 1];
        bool cut = _network.IsCut(message.From, message.To);
        Trace($"deliver {message}{(cut ? " (cut)" : "")}");
        if (message.Type == MessageType.Snapshot)
        {
            _nodes[message.From - 1].OnSnapshotSent(message.To, delivered: target.IsUp && !cut);
        }
        if (!cut) target.Receive(envelope);
    }

    internal void SendFrom(SimNode node, Message message)
    {
        SnapshotData? data = null;
        if (message.Type == MessageType.Snapshot)
        {
            data = node.SnapshotFor(message.Snapshot.Index);
            Invariant.True(data is not null, message.Snapshot.Index);
        }
        bool sent = _network.Send(Tick, new Envelope(message, data));
        if (!sent && message.Type == MessageType.Snapshot) node.OnSnapshotSent(message.To, delivered: false);
    }

    internal int PersistDelayTicks() => Random.Chance(_profile.SlowDiskProbability) ? 1 + Random.Next(2) : 0;

    internal void Trace(string line)
    {
        if (Options.Trace) Console.WriteLine($"[{Tick,5}] {line}");
    }

    internal static void TraceRoles(Simulation simulation, IEnumerable<SimNode> nodes)
    {
        if (!simulation.Options.Trace) return;
        simulation.Trace(string.Join("  ", nodes.Select(n => n.Raft is { } r
            ? $"n{n.Id}:{r.Role}/t{r.Term}/c{r.Committed}/l{r.LastIndex}"
            : $"n{n.Id}:down")));
        foreach (SimNode node in nodes)
        {
            if (node.Raft is { Role: Role.Leader } leader && leader.Status.Followers is { } followers)
            {
                simulation.Trace($"  n{node.Id} progress: " + string.Join("  ", followers.Select(f => $"n{f.Key}:{f.Value}")));
            }
        }
    }
}

/// <summary>What a passing run did.</summary>
public readonly record struct SimulationResult(ulong Seed, int Nodes, long Ticks, long Committed, long WritesProposed, long ReadsReleased, long LivenessTicks);
