using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>
/// One node of the simulated KV cluster: the production KvNode over the in-memory twins of the
/// log store and state machine (which survive a crash, as their durable originals do).
/// </summary>
internal sealed class KvSimNode(KvSimCluster cluster, int id, int[] voters, string stagingDirectory, ServerLimits limits)
{
    private MemoryRaftLogStore _log = new();
    private MemoryKvStateMachine _machine = new(new StorageLimits { SnapshotChunkBytes = 512 });
    private readonly Queue<long> _writesDueTicks = new(); // asynchronous storage writes in flight, ending in order
    private readonly Queue<Action<KvNode>> _heldWhilePaused = new(); // what arrived while the host was paused, in order
    private int _missedTicks; // ticks that passed while the host was paused
    private readonly List<LogFetch> _fetches = new(); // background log reads asked for and not yet handed back

    /// <summary>Entries of the log kept in memory (the newest ones): older ones reach followers by background reads.</summary>
    public long LogCacheEntries
    {
        get => _log.CachedEntriesMax;
        set => _log.CachedEntriesMax = value;
    }

    /// <summary>Every this-many-th Get of the state machine goes pending, answered a turn or two later (0: none).</summary>
    public int ColdGetEvery
    {
        get => _machine.ColdGetEvery;
        set => _machine.ColdGetEvery = value;
    }

    /// <summary>Gets of this node's state machine that went pending.</summary>
    public long ColdGets => _machine.ColdGets;

    /// <summary>Whether a background log read may end now (a test holds some: a slow disk for one follower's reads).</summary>
    public Func<LogFetch, bool> FetchGate { get; set; } = _ => true;

    /// <summary>Background log reads asked for and not handed back yet (held by <see cref="FetchGate"/>).</summary>
    public int FetchesHeld => _fetches.Count;

    /// <summary>Entries the background reads have read from this node's log.</summary>
    public long StoredEntriesRead => _log.StoredEntriesRead;

    public int Id { get; } = id;

    public KvNode? Node { get; private set; }

    public bool IsUp => Node is not null;

    /// <summary>The host is paused (a collection, a slow disk): no ticks, nothing handled; what arrives waits.</summary>
    public bool IsPaused { get; private set; }

    public long AppliedIndex => _machine.AppliedIndex;

    /// <summary>Bytes of log kept since its last compaction (the memory twin's count).</summary>
    public long LogBytesSinceCompaction => _log.BytesSinceCompaction;

    public byte[]? Read(string key) => _machine.Get(System.Text.Encoding.UTF8.GetBytes(key));

    public void Start()
    {
        var seed = cluster.Random.NextUInt64();
        Node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(Id, voters.ToDictionary(v => v, v => $"sim:{v}")),
            Voters = voters,
            Seed = seed,
            SessionIds = new SeededSessionIds(seed),
            ElectionTicks = 10,
            HeartbeatTicks = 1,
            LeaseReads = cluster.LeaseReads,
            Limits = limits,
        }, _log, _machine, new SimPeerOutbox(cluster, Id), new SimClientOutbox(cluster, Id), NullLogger.Instance)
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(_machine, stagingDirectory),
        };
    }

    public void Crash()
    {
        Node = null;
        _fetches.Clear();
        _writesDueTicks.Clear();
        Resume();
        _heldWhilePaused.Clear();
        _missedTicks = 0;
        _log = _log.Recover(writesKept: 0); // what was not committed is gone (here: a commit index not waited for)
        _machine = _machine.Recover(); // back to its last snapshot; the node replays the log (ColdGetEvery kept)
    }

    /// <summary>Pauses the host: see <see cref="IsPaused"/>.</summary>
    public void Pause() => IsPaused = true;

    /// <summary>Ends a pause: the next step hands the node every tick it missed, then what waited.</summary>
    public void Resume() => IsPaused = false;

    public void Deliver(in PeerMessage message)
    {
        var owned = message; // the network's copy: it stays valid while held
        Handle(node => node.OnPeerMessage(owned.From, owned)); // the simulated connection is the sender's own
    }

    public void DeliverChunk(int from, in WireSnapshotChunk chunk)
    {
        var owned = chunk;
        Handle(node => node.OnSnapshotChunk(from, owned));
    }

    public void ReportSnapshotSent(int to, bool delivered) => Handle(node => node.OnSnapshotSent(to, delivered));

    public void Request(long connectionId, in ClientRequest request)
    {
        var owned = request; // the client's buffers: they stay valid while held
        Handle(node => node.OnClientRequest(connectionId, owned));
    }

    private void Handle(Action<KvNode> action)
    {
        if (Node is not { } node)
        {
            return;
        }

        if (IsPaused || _heldWhilePaused.Count > 0)
        {
            _heldWhilePaused.Enqueue(action);
        }
        else
        {
            action(node);
        }
    }

    /// <summary>
    /// One tick: time (after a pause, every tick missed), what waited during a pause, then the turn's batching,
    /// then the Readies. Readies are taken while earlier log writes are
    /// in flight; each write ends after a drawn delay (see <see cref="KvSimCluster.LogWriteDelayTicksMax"/>), in
    /// order (the memory log itself is durable at once: what is tested is what the node does meanwhile).
    /// </summary>
    public void Step()
    {
        if (Node is not { } node)
        {
            return;
        }

        if (IsPaused)
        {
            _missedTicks++;
            return;
        }
        node.OnTicks(1 + _missedTicks); // as the host does after a stall: every tick that passed, then what waited
        _missedTicks = 0;
        while (_heldWhilePaused.TryDequeue(out var held))
        {
            held(node);
        }

        node.EndTurn();
        var tick = cluster.Tick;
        while (_writesDueTicks.Count > 0 && _writesDueTicks.Peek() <= tick)
        {
            _writesDueTicks.Dequeue();
            node.OnLogWriteDurable();
        }
        for (var round = 0; round < 8 && node.TryAcceptReady(out var mustCommit); round++)
        {
            if (!mustCommit)
            {
                continue;
            }

            Assert.True(_log.CommitAsync().IsCompletedSuccessfully);
            if (cluster.LogWriteDelayTicksMax == 0 && _writesDueTicks.Count == 0)
            {
                node.OnLogWriteDurable(); // as the host does with a commit that completed at once
                continue;
            }
            var due = tick + cluster.Random.Next(cluster.LogWriteDelayTicksMax + 1);
            _writesDueTicks.Enqueue(_writesDueTicks.Count > 0 ? Math.Max(due, _writesDueTicks.Last()) : due);
        }
        MaybeSnapshot(node);
        while (node.TryTakeLogFetch(out var fetch))
        {
            _fetches.Add(fetch);
        }
        CompleteFetches(node);
    }

    /// <summary>The background log reads the gate lets end: read now, handed to the node.</summary>
    private void CompleteFetches(KvNode node)
    {
        for (var i = 0; i < _fetches.Count; i++)
        {
            var fetch = _fetches[i];
            if (!FetchGate(fetch))
            {
                continue;
            }

            _fetches.RemoveAt(i--);
            var entries = new List<LogEntry>();
            Assert.True(_log.ReadStoredAsync(fetch.Lo, fetch.HiExclusive, fetch.MaxBytes, entries).IsCompletedSuccessfully);
            node.OnLogFetched(fetch, entries);
        }
    }

    private void MaybeSnapshot(KvNode node)
    {
        if (node.TryStartSnapshot(out var configuration))
        {
            var snapshot = _machine.TakeSnapshotAsync(configuration);
            Assert.True(snapshot.IsCompletedSuccessfully);
            node.OnSnapshotTaken(snapshot.Result);
        }
    }
}
