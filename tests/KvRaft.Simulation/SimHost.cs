using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Simulation;

/// <summary>
/// One node as the simulator hosts it: the production <see cref="KvNode"/> over the memory twins of the log store
/// and the state machine, driven the way NodeHost drives it (ticks from its clock, events, EndTurn, then every
/// Ready with its log write in flight until the disk says it is durable). The disk is slow at times; a crash loses
/// or tears what was not synced and sends the state machine back to its last checkpoint; the event loop stalls
/// at times (its missed ticks are handed over when it resumes); its clock runs slow or fast within the drift bound.
/// </summary>
internal sealed class SimHost
{
    private readonly Simulation _simulation;
    private readonly int[] _voters;
    private readonly ServerLimits _limits;
    private readonly string _stagingDirectory;
    private readonly Queue<Action<KvNode>> _inbox = new(); // input that arrived while the loop was stalled
    private readonly Queue<long> _writesDue = new(); // ticks at which the log writes in flight end, in order
    private readonly List<(long Due, LogFetch Fetch)> _fetchesDue = new(); // background log reads in flight
    private long _snapshotDueTick = -1;
    private Action? _install; // a snapshot install's state machine swap, run at _installDueTick (off the loop in production)
    private long _installDueTick = -1;
    private SnapshotInfo? _snapshotTaken;
    private long _stalledUntilTick = -1;
    private int _ticksMissed;
    private long _lastDriftTick = -1000;
    private long _writesPromised; // log writes the node was told are durable: a crash must keep every one

    public SimHost(Simulation simulation, int id, int[] voters, ServerLimits limits, string stagingDirectory)
    {
        _simulation = simulation;
        Id = id;
        _voters = voters;
        _limits = limits;
        _stagingDirectory = stagingDirectory;
        Log = new MemoryRaftLogStore { CachedEntriesMax = simulation.LogCacheEntries };
        Machine.ColdGetEvery = simulation.ColdGetEvery;
    }

    public int Id { get; }

    public MemoryRaftLogStore Log { get; private set; }

    public MemoryKvStateMachine Machine { get; private set; } = new(new StorageLimits { SnapshotChunkBytes = 256 });

    public KvNode? Node { get; private set; }

    public bool IsUp => Node is not null;

    public bool IsStalled => Node is not null && _simulation.Tick < _stalledUntilTick;

    /// <summary>Log writes appended and not yet durable: a crash now may lose them.</summary>
    public bool HasUnsyncedWrites => Log.UnsyncedWrites > 0;

    /// <summary>-1 this clock runs slow (loses a tick now and then), 1 fast (gains one), 0 exact.</summary>
    public int ClockDrift { get; set; }

    /// <summary>The highest commit index the safety checker saw on this incarnation.</summary>
    public long CommitSeen { get; set; }

    public void Start()
    {
        var audited = new AuditedStateMachine(Machine, _simulation.Audit, Id);
        try
        {
            Node = NewNode(audited);
        }
        catch (Exception exception) when (exception is not SimulationFailure)
        {
            _simulation.Fail(ViolationKind.RestartFailed, $"n{Id} cannot start from its disk: {exception.Message}");
        }
        CommitSeen = 0;
    }

    private KvNode NewNode(AuditedStateMachine audited)
    {
        var seed = _simulation.Random.NextUInt64();
        return new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(Id, _voters.ToDictionary(v => v, v => $"sim:{v}")),
            Voters = _voters,
            Seed = seed,
            SessionIds = new SeededSessionIds(seed),
            ElectionTicks = Simulation.ElectionTicks,
            HeartbeatTicks = 1,
            LeaseReads = _simulation.LeaseReads,
            Limits = _limits,
        }, Log, audited, new SimPeerOutbox(_simulation, Id), new SimClientOutbox(_simulation, Id), NullLogger.Instance)
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(Machine, _stagingDirectory),
            InstallRunner = new SimInstallRunner(this),
        };
    }

    /// <summary>
    /// A crash: the process is gone with everything in memory. Of the log writes not yet synced a prefix survives
    /// (the last one possibly torn), the state machine reopens at its last checkpoint.
    /// </summary>
    public void Crash()
    {
        if (Log.WritesSynced < _writesPromised)
        {
            _simulation.Fail(ViolationKind.DurableWriteLost,
                $"n{Id} crashed with {_writesPromised - Log.WritesSynced} log writes reported durable that the disk never synced");
        }
        var random = _simulation.Random;
        var unsynced = Log.UnsyncedWrites;
        var kept = unsynced == 0 ? 0 : random.Next(unsynced + 1);
        int? torn = kept > 0 && random.Chance(0.3) ? random.Next(3) : null;
        _simulation.Trace($"crash n{Id}: {unsynced} unsynced log writes, {kept} kept{(torn is { } t ? $" (the last torn to {t} entries)" : "")}");
        Log = Log.Recover(kept, torn);
        _writesPromised = 0;
        Machine = Machine.Recover();
        Node = null;
        _inbox.Clear();
        _writesDue.Clear();
        _fetchesDue.Clear();
        (_snapshotDueTick, _snapshotTaken) = (-1, null);
        (_install, _installDueTick) = (null, -1); // the swap had not run: the state machine is as before it
        (_stalledUntilTick, _ticksMissed) = (-1, 0);
    }

    /// <summary>The event loop stops for <paramref name="ticks"/> ticks (GC, a slow disk call): input waits.</summary>
    public void Stall(int ticks)
    {
        _simulation.Trace($"stall n{Id} for {ticks} ticks");
        _stalledUntilTick = _simulation.Tick + ticks;
    }

    public void EndStall() => _stalledUntilTick = -1;

    /// <summary>Input for the node: handled now, queued while the loop is stalled, lost while the node is down.</summary>
    public void Deliver(Action<KvNode> input)
    {
        if (Node is not { } node)
        {
            return;
        }

        if (IsStalled)
        {
            _inbox.Enqueue(input);
        }
        else
        {
            input(node);
        }
    }

    /// <summary>What the node made of a message or chunk a correct node sent: it must never refuse one.</summary>
    public void OnPeerInput(int from, PeerCheck check)
    {
        if (check.IsRefused)
        {
            _simulation.Fail(ViolationKind.GenuineInputRefused, $"n{Id} refused input from n{from}: {check.Reason}");
        }
    }

    /// <summary>What the node made of a forged message or chunk: it must refuse every one.</summary>
    public void OnForgedInput(string forgery, PeerCheck check)
    {
        _simulation.ForgeriesDelivered++;
        if (!check.IsRefused)
        {
            _simulation.Fail(ViolationKind.ForgeryAccepted, $"n{Id} took a forged message ({forgery}): {check.Verdict} {check.Reason}");
        }
    }

    /// <summary>One tick of the host: the clock, queued input, log writes that ended, the turn's batching, every Ready.</summary>
    public void Step()
    {
        if (Node is not { } node)
        {
            return;
        }

        if (IsStalled)
        {
            _ticksMissed++;
            return;
        }
        DeliverTicks(node);
        while (_inbox.TryDequeue(out var input))
        {
            input(node);
        }

        CompleteDueInstall(node);
        for (var round = 0; round < 4; round++)
        {
            CompleteDueWrites(node);
            CompleteDueFetches(node);
            if (round == 0 || node.ApplyDeferred)
            {
                node.EndTurn(); // a new turn at once when the last one left applies to it, as NodeHost schedules one
            }

            var readied = DriveReady(node);
            StartFetches(node);
            if (!readied && !node.ApplyDeferred && (_writesDue.Count == 0 || _writesDue.Peek() > _simulation.Tick))
            {
                break;
            }
        }
        MaybeSnapshot(node);
    }

    /// <summary>
    /// This tick, plus the ticks missed while stalled, plus or minus the drift: at most one tick gained or lost per
    /// election timeout (the bound lease reads assume).
    /// </summary>
    private void DeliverTicks(KvNode node)
    {
        var ticks = 1 + _ticksMissed;
        _ticksMissed = 0;
        if (ClockDrift != 0 && _simulation.Tick - _lastDriftTick >= Simulation.ElectionTicks && _simulation.Random.Chance(0.2))
        {
            _lastDriftTick = _simulation.Tick;
            ticks += ClockDrift;
        }
        if (ticks > 0)
        {
            node.OnTicks(ticks);
        }
    }

    /// <summary>
    /// A snapshot install's swap, as the production host runs it on the thread pool: it takes a while (up to three
    /// election timeouts), and the node keeps taking input and ticks meanwhile.
    /// </summary>
    public void RunInstall(Action install)
    {
        Invariant.True(_install is null, "a second install while one is in flight");
        _install = install;
        _installDueTick = _simulation.Tick + 1 + _simulation.Random.Next(3 * Simulation.ElectionTicks);
        _simulation.Trace($"n{Id} snapshot install started, ends at tick {_installDueTick}");
    }

    private void CompleteDueInstall(KvNode node)
    {
        if (_install is not { } install || _simulation.Tick < _installDueTick)
        {
            return;
        }

        (_install, _installDueTick) = (null, -1);
        Exception? failure = null;
        try
        {
            install();
        }
        catch (Exception error) when (error is IOException or StorageCorruptException or InvalidOperationException)
        {
            failure = error;
        }
        node.OnSnapshotInstalled(failure);
    }

    private void CompleteDueWrites(KvNode node)
    {
        while (_writesDue.TryPeek(out var due) && due <= _simulation.Tick)
        {
            _writesDue.Dequeue();
            Invariant.True(Log.CommitAsync().IsCompletedSuccessfully); // the disk: everything appended so far is durable now
            if (!PlantedBugs.Has(PlantedBug.AckBeforeDurable))
            {
                ReportDurable(node);
            }
        }
    }

    /// <summary>The background log reads the node asked for: each ends after a drawn delay, in any order.</summary>
    private void StartFetches(KvNode node)
    {
        while (node.TryTakeLogFetch(out var fetch))
        {
            _fetchesDue.Add((_simulation.Tick + _simulation.LogFetchTicks(), fetch));
            _simulation.Trace($"n{Id} fetches entries from {fetch.Lo} for n{fetch.To}");
        }
    }

    /// <summary>The reads due now read the log as it is now (it may have been compacted meanwhile), and hand it over.</summary>
    private void CompleteDueFetches(KvNode node)
    {
        for (var i = 0; i < _fetchesDue.Count; i++)
        {
            var (due, fetch) = _fetchesDue[i];
            if (due > _simulation.Tick)
            {
                continue;
            }

            _fetchesDue.RemoveAt(i--);
            var entries = new List<LogEntry>();
            Invariant.True(Log.ReadStoredAsync(fetch.Lo, fetch.HiExclusive, fetch.MaxBytes, entries).IsCompletedSuccessfully);
            node.OnLogFetched(fetch, entries);
        }
    }

    private void ReportDurable(KvNode node)
    {
        _writesPromised = Log.WritesMade;
        node.OnLogWriteDurable();
    }

    /// <summary>Takes every Ready; each one that wrote to the log gets a write that ends after the disk's delay.</summary>
    private bool DriveReady(KvNode node)
    {
        var any = false;
        for (var i = 0; i < 16 && node.TryAcceptReady(out var mustCommit); i++)
        {
            any = true;
            if (!mustCommit)
            {
                continue;
            }

            var due = _simulation.Tick + _simulation.DiskDelayTicks();
            if (_writesDue.Count > 0)
            {
                due = Math.Max(due, _writesDue.Last()); // writes end in the order they started
            }

            _writesDue.Enqueue(due);
            if (PlantedBugs.Has(PlantedBug.AckBeforeDurable))
            {
                ReportDurable(node); // the planted lie: durable before the disk says so
            }
        }
        return any;
    }

    /// <summary>A snapshot when the node asks for one: the state is captured now, the node hears of it a few ticks later.</summary>
    private void MaybeSnapshot(KvNode node)
    {
        if (_snapshotDueTick < 0 && node.TryStartSnapshot(out var configuration))
        {
            var taken = Machine.TakeSnapshotAsync(configuration);
            Invariant.True(taken.IsCompletedSuccessfully);
            _snapshotTaken = taken.Result;
            _snapshotDueTick = _simulation.Tick + _simulation.Random.Next(4);
            _simulation.Trace($"n{Id} snapshot {_snapshotTaken.Index}@{_snapshotTaken.Term} taken");
        }
        if (_snapshotDueTick >= 0 && _simulation.Tick >= _snapshotDueTick)
        {
            _snapshotDueTick = -1;
            node.OnSnapshotTaken(_snapshotTaken);
        }
    }
}

/// <summary>The node's install runner: the swap runs a few ticks later (<see cref="SimHost.RunInstall"/>).</summary>
internal sealed class SimInstallRunner(SimHost host) : ISnapshotInstallRunner
{
    public void Run(Action install) => host.RunInstall(install);
}

/// <summary>The node's peer outbox: messages and snapshot streams go into the simulated network.</summary>
internal sealed class SimPeerOutbox(Simulation simulation, int from) : IPeerOutbox
{
    public void Send(in PeerMessage message) => simulation.Network.Send(from, message);

    public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) =>
        simulation.Network.SendSnapshot(from, message, snapshot, transfer);

    public void Flush() { }
}

/// <summary>The node's client outbox: answers go back to the simulated clients through the network.</summary>
internal sealed class SimClientOutbox(Simulation simulation, int node) : IClientOutbox
{
    public void Reply(long connectionId, in ClientResponse response) => simulation.Network.SendResponse(node, connectionId, response);

    public void Flush() { }
}
