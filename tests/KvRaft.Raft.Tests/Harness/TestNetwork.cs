// Goal: a deterministic cluster of RaftNodes for scenario tests; method: handle every Ready exactly per its contract over a simulated, seeded network.
namespace KvRaft.Raft.Tests.Harness;

/// <summary>Thrown when the harness sees a safety violation (a mismatched apply, a read served too early).</summary>
internal sealed class SafetyViolation(string message) : Exception(message);

/// <summary>
/// A cluster after etcd's raft_test.go network: nodes with their MemoryStorage, a message pool,
/// partitions and drops, crashes that keep storage, and logical ticks. Nothing reads a clock.
/// </summary>
internal sealed partial class TestNetwork
{
    private readonly record struct Envelope(Message Message, long DeliverAt);

    private readonly NodeOptions _options;
    private readonly Dictionary<int, RaftNode?> _nodes = new();
    private readonly Dictionary<int, int> _restarts = new();
    private readonly List<Envelope> _inFlight = new();
    private readonly Dictionary<long, Entry> _committed = new();
    private readonly HashSet<int> _stalled = new();

    public TestNetwork(int size, ulong seed, NodeOptions? options = null)
    {
        Seed = seed;
        Random = new Prng(seed);
        _options = options ?? new NodeOptions();
        Ids = Enumerable.Range(1, size).ToArray();
        Bootstrap = new ConfigState(Ids);
        foreach (var id in Ids)
        {
            StartNew(id);
        }
    }

    /// <summary>The configuration every node's storage starts from (a node added later starts from it too).</summary>
    public ConfigState Bootstrap { get; }

    /// <summary>A node with empty storage (but the bootstrap configuration), up and connected.</summary>
    private void StartNew(int id)
    {
        Storage[id] = new MemoryStorage(Bootstrap);
        Group[id] = 0;
        Applied[id] = new List<Entry>();
        Reads[id] = new List<ReadState>();
        Confirmed[id] = new List<ReadState>();
        DroppedReads[id] = new List<long>();
        _restarts[id] = 0;
        _nodes[id] = new RaftNode(_options.Build(id, Storage[id], NodeRandom(id)));
    }

    /// <summary>Starts node <paramref name="id"/> with empty storage: it is no member until a change adds it.</summary>
    public void AddNode(int id)
    {
        Invariant.True(!Ids.Contains(id), id);
        Ids = Ids.Append(id).ToArray();
        StartNew(id);
    }

    public ulong Seed { get; }
    public Prng Random { get; }
    public int[] Ids { get; private set; }
    public long Now { get; private set; }
    public Dictionary<int, MemoryStorage> Storage { get; } = new();
    public Dictionary<int, List<Entry>> Applied { get; } = new();
    public Dictionary<int, List<ReadState>> Reads { get; } = new();
    public Dictionary<int, List<ReadState>> Confirmed { get; } = new(); // Ready.ConfirmedReads, in order
    public Dictionary<int, List<long>> DroppedReads { get; } = new();

    /// <summary>Connectivity: messages pass only between nodes of the same group.</summary>
    public Dictionary<int, int> Group { get; } = new();
    public HashSet<(int From, int To)> Cut { get; } = new();
    public HashSet<MessageType> DroppedTypes { get; } = new();

    /// <summary>Nodes whose host is paused (a collection, a slow disk): they get no ticks until removed.</summary>
    public HashSet<int> Paused { get; } = new();
    public Func<Message, bool>? DropFilter { get; set; }

    /// <summary>Unreliable mode: chance to lose each message, random delay in ticks, random delivery order.</summary>
    public double LossRate { get; set; }
    public int MaxDelayTicks { get; set; }
    public bool Reorder { get; set; }
    public double DuplicateRate { get; set; }

    /// <summary>Every message handed to the network, in order (kept only while <see cref="Record"/> is on).</summary>
    public List<Message> Sent { get; } = new();
    public bool Record { get; set; } = true;
    public long SentCount { get; private set; }

    public string Tag => $"seed={Seed} tick={Now}";

    public RaftNode Node(int id) => _nodes[id] ?? throw new InvalidOperationException($"node {id} is down ({Tag})");

    public bool IsUp(int id) => _nodes[id] is not null;

    public IEnumerable<RaftNode> Live => Ids.Where(IsUp).Select(Node);

    private Prng NodeRandom(int id) => new(Seed * 1_000_003UL + (ulong)id * 7_919UL + (ulong)_restarts[id] * 104_729UL);

    // ---- Ready handling, exactly in the contract's order ----

    /// <summary>Handles every pending Ready of node <paramref name="id"/> (unless stalled).</summary>
    public void Process(int id)
    {
        var node = _nodes[id];
        if (node is null || _stalled.Contains(id))
        {
            return;
        }

        while (node.HasReady)
        {
            HandleReady(id, node, node.GetReady());
        }
    }

    public void ProcessAll()
    {
        foreach (var id in Ids)
        {
            Process(id);
        }
    }

    private void HandleReady(int id, RaftNode node, Ready ready)
    {
        foreach (var message in ready.Messages)
        {
            Post(message);
        }

        var storage = Storage[id];
        if (ready.Snapshot is { } snapshot)
        {
            storage.ApplySnapshot(snapshot);
            InstallSnapshotState(id, snapshot.Index);
        }
        storage.Append(ready.Entries);
        if (ready.HardStateChanged)
        {
            storage.SetHardState(ready.HardState);
        }

        foreach (var message in ready.MessagesAfterPersist)
        {
            Post(message);
        }

        foreach (var entry in ready.CommittedEntries)
        {
            Apply(id, entry);
        }

        Confirmed[id].AddRange(ready.ConfirmedReads);
        foreach (var read in ready.ReadStates)
        {
            ServeRead(id, read);
        }

        DroppedReads[id].AddRange(ready.DroppedReads);
        node.Advance();
    }

    private void Apply(int id, Entry entry)
    {
        var applied = Applied[id];
        if (entry.Index != applied.Count + 1)
        {
            throw new SafetyViolation($"node {id} applied {entry} after index {applied.Count} ({Tag})");
        }
        if (_committed.TryGetValue(entry.Index, out var known))
        {
            if (!Data.SameEntry(known, entry))
            {
                throw new SafetyViolation($"node {id} applied {entry} where {known} was applied before ({Tag})");
            }
        }
        else
        {
            _committed[entry.Index] = entry;
        }
        applied.Add(entry);
    }

    private void InstallSnapshotState(int id, long index)
    {
        var applied = Applied[id];
        applied.Clear();
        for (long i = 1; i <= index; i++)
        {
            if (!_committed.TryGetValue(i, out var entry))
            {
                throw new SafetyViolation($"node {id} installed a snapshot at {index} covering unapplied index {i} ({Tag})");
            }
            applied.Add(entry);
        }
    }

    private void ServeRead(int id, ReadState read)
    {
        if (Applied[id].Count < read.Index)
        {
            throw new SafetyViolation($"node {id} released read {read} with only {Applied[id].Count} applied ({Tag})");
        }
        Reads[id].Add(read);
    }

    // ---- The network ----

    /// <summary>The message with a copy of its entries: the core reuses their memory once the Ready is advanced.</summary>
    public static Message Owned(Message message)
    {
        message.Entries = message.Entries.ToArray();
        return message;
    }

    private void Post(Message message)
    {
        message = Owned(message);
        SentCount++;
        if (Record)
        {
            Sent.Add(message);
        }

        if (LossRate > 0 && Random.Chance(LossRate))
        {
            Dropped(message);
            return;
        }
        long delay = MaxDelayTicks > 0 ? Random.Next(MaxDelayTicks + 1) : 0;
        _inFlight.Add(new Envelope(message, Now + delay));
        if (DuplicateRate > 0 && Random.Chance(DuplicateRate))
        {
            _inFlight.Add(new Envelope(message, Now + delay + 1));
        }
    }

    private bool CanDeliver(Message message) =>
        Group[message.From] == Group[message.To]
        && !Cut.Contains((message.From, message.To))
        && !DroppedTypes.Contains(message.Type)
        && (DropFilter is null || !DropFilter(message))
        && _nodes[message.To] is not null;

    private void Dropped(Message message)
    {
        // A transport notices a failed snapshot send and says so; plain messages vanish silently.
        if (message.Type == MessageType.Snapshot)
        {
            _nodes[message.From]?.ReportSnapshot(message.To, SnapshotStatus.Failed);
        }
    }

    /// <summary>Delivers messages due by now (and the messages they cause) until none is left.</summary>
    public int Deliver(int maxSteps = 1_000_000)
    {
        var steps = 0;
        while (true)
        {
            var next = NextDue();
            if (next < 0)
            {
                return steps;
            }

            var message = _inFlight[next].Message;
            _inFlight.RemoveAt(next);
            if (++steps > maxSteps)
            {
                throw new InvalidOperationException($"network did not quiesce ({Tag})");
            }

            if (!CanDeliver(message))
            {
                Dropped(message);
                continue;
            }
            Node(message.To).Step(message);
            Process(message.To);
            // A transport reports a snapshot it delivered, as the ReportSnapshot contract asks.
            if (message.Type == MessageType.Snapshot)
            {
                _nodes[message.From]?.ReportSnapshot(message.To, SnapshotStatus.Finished);
            }
        }
    }

    private int NextDue()
    {
        if (Reorder)
        {
            var due = 0;
            foreach (var envelope in _inFlight)
            {
                if (envelope.DeliverAt <= Now)
                {
                    due++;
                }
            }

            if (due == 0)
            {
                return -1;
            }

            var pick = Random.Next(due);
            for (var i = 0; i < _inFlight.Count; i++)
            {
                if (_inFlight[i].DeliverAt <= Now && pick-- == 0)
                {
                    return i;
                }
            }
        }
        for (var i = 0; i < _inFlight.Count; i++)
        {
            if (_inFlight[i].DeliverAt <= Now)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Drops every message still in flight.</summary>
    public void DropInFlight() => _inFlight.Clear();

    // ---- Time ----

    /// <summary>Advances every live node by <paramref name="ticks"/> ticks, delivering after each.</summary>
    public void Tick(int ticks = 1)
    {
        for (var t = 0; t < ticks; t++)
        {
            Now++;
            foreach (var id in Ids)
            {
                if (_nodes[id] is not { } node || _stalled.Contains(id) || Paused.Contains(id))
                {
                    continue;
                }

                node.Tick();
                Process(id);
            }
            Deliver();
        }
    }

    /// <summary>Ticks until <paramref name="done"/> holds; false if it did not within <paramref name="maxTicks"/>.</summary>
    public bool TickUntil(Func<bool> done, int maxTicks = 500)
    {
        for (var t = 0; t < maxTicks; t++)
        {
            if (done())
            {
                return true;
            }

            Tick();
        }
        return done();
    }
}
