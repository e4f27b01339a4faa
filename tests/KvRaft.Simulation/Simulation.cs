using System.Text;
using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Simulation;

/// <summary>
/// One deterministic run of a KvNode cluster, fixed entirely by its seed: a chaos phase (crashes that lose or tear
/// unsynced writes, restarts, partitions, loss, delay, duplication, reordering, clock drift, stalls, slow disks,
/// small snapshot thresholds, leadership transfers, clients under sessions) with Raft safety, state machine safety
/// and exactly-once checked as it runs, then a liveness phase that heals everything and requires every client to
/// be answered and a new write applied on every node within a bound, then the linearizability check of the whole
/// client history and the exactly-once count of the append-only keys.
/// </summary>
public sealed partial class Simulation
{
    internal const int ElectionTicks = 10;
    private readonly List<SimHost> _hosts = new();
    private readonly List<SimClient> _clients = new();
    private readonly List<Operation> _history = new();
    private readonly Dictionary<string, string> _lastValueSeen = new();
    private readonly FaultProfile _profile;
    private readonly string _stagingDirectory;
    private (int Node, long Tick)? _isolation; // an isolation scheduled to follow a leadership transfer
    private (int Node, long Term, long Tick)? _churn; // a new leader to lose soon after its election
    private long _newestLeaderTerm; // the highest term a leader was seen in
    private (int Node, long Tick)? _staleLeaderResumes; // an isolated leader's stall ends then: clients read from it
    private readonly Prng _cacheRandom;

    /// <summary>Creates the run for <paramref name="options"/>.</summary>
    public Simulation(SimulationOptions options)
    {
        Options = options;
        Random = new Prng(options.Seed);
        _profile = FaultProfile.Draw(Random);
        Network = new SimNetwork(this, Random);
        Audit = new ApplyAudit(this);
        Checker = new SafetyChecker(this);
        if (options.ForgeriesPerTick > 0)
        {
            Forger = new SimForger(this, new Prng(options.Seed ^ 0x5EED_F0E6_0000_0001UL));
        }

        VoterCount = options.NodeCount != 0 ? options.NodeCount : (Random.Chance(0.5) ? 3 : 5);
        _membershipRandom = new Prng(options.Seed ^ 0x3E3B_E125_0000_0001UL); // its own stream: runs without changes are as before
        ChangesMembership = _membershipRandom.Chance(MembershipSeedShare);
        NodeCount = VoterCount + (ChangesMembership ? 1 : 0); // the spare node, started empty, no member until added
        // The log cache: in some runs only the newest few entries are in memory, and older ones reach followers through
        // background reads that end a few ticks later. Its own stream: runs with the cache unbounded are as before.
        _cacheRandom = new Prng(options.Seed ^ 0xCAC4_E000_0000_0001UL);
        LogCacheEntries = _cacheRandom.Chance(0.5) ? 1 + _cacheRandom.Next(16) : long.MaxValue;
        ColdGetEvery = _cacheRandom.Chance(0.5) ? 1 + _cacheRandom.Next(4) : 0; // Gets whose values are "on disk" answer later
        _stagingDirectory = Path.Combine(StagingRoot, $"kvraft-sim-{options.Seed}-{Guid.NewGuid():N}");
        var limits = new ServerLimits
        {
            SnapshotAfterLogBytes = _profile.SnapshotAfterLogBytes,
            CompactionLagEntries = _profile.CompactionLagEntries,
            CompactionLagBytes = 0,
            RequestTimeoutTicks = 5 * ElectionTicks,
            AppendEntriesMax = _profile.AppendEntriesMax,
            InflightMessagesMax = _profile.InflightMessagesMax,
            LogFetchBytesMax = 32 + _cacheRandom.Next(2048),
            SnapshotWindowChunks = 4, // of 256-byte chunks: a stream waits for acknowledgements within a few chunks
            SnapshotWindowBytes = 768,
        };
        var voters = Enumerable.Range(1, VoterCount).ToArray();
        for (var id = 1; id <= NodeCount; id++)
        {
            _hosts.Add(new SimHost(this, id, voters, limits, Path.Combine(_stagingDirectory, $"n{id}")));
        }

        var clients = 3 + Random.Next(6);
        for (var i = 0; i < clients; i++)
        {
            _clients.Add(new SimClient(this, i, Random));
        }
    }

    // Snapshot installs stage their files on disk; memory-backed when the machine has it.
    private static string StagingRoot => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    internal SimulationOptions Options { get; }

    internal Prng Random { get; }

    internal SimNetwork Network { get; }

    internal ApplyAudit Audit { get; }

    internal SafetyChecker Checker { get; }

    /// <summary>The attacker forging peer input (null: none in this run).</summary>
    internal SimForger? Forger { get; }

    /// <summary>Forged messages and chunks delivered to a running node.</summary>
    internal long ForgeriesDelivered { get; set; }

    /// <summary>Nodes hosted: the bootstrap voters, then the spare node in runs that change membership.</summary>
    internal int NodeCount { get; }

    /// <summary>The bootstrap voters (ids 1..VoterCount).</summary>
    internal int VoterCount { get; }

    internal bool LeaseReads => _profile.LeaseReads;

    /// <summary>The current simulated tick.</summary>
    public long Tick { get; private set; }

    internal SimHost Host(int id) => _hosts[id - 1];

    /// <summary>Runs the whole simulation; throws <see cref="SimulationFailure"/> on a broken property.</summary>
    public SimulationResult Run()
    {
        using var plants = PlantedBugs.Plant(Options.Plants);
        Trace($"seed {Options.Seed}: {VoterCount} voters{(ChangesMembership ? " and a spare node, membership changes" : "")}, {_clients.Count} clients, profile {_profile}, log cache {LogCacheEntries} entries, cold Gets every {ColdGetEvery}");
        try
        {
            foreach (var host in _hosts)
            {
                host.Start();
            }

            for (; Tick < Options.ChaosTicks; Tick++)
            {
                InjectFaults();
                Forger?.Inject(Options.ForgeriesPerTick);
                foreach (var client in _clients)
                {
                    client.Act(issueNew: Random.Chance(_profile.ClientActivity));
                }

                Step();
            }
            var livenessTicks = RunLiveness();
            CheckHistory();
            Audit.CheckAppendOnlyKeys(FinalValue);
            return new SimulationResult(Options.Seed, NodeCount, Tick, Checker.GlobalCommitted, Audit.Applies, _history.Count, livenessTicks)
            {
                Forgeries = ForgeriesDelivered,
            };
        }
        catch (SimulationFailure)
        {
            throw;
        }
        catch (Exception exception)
        {
            throw new SimulationFailure(Options.Seed, Tick, ViolationKind.UnexpectedException, exception.ToString(), exception, Options.ForgeriesPerTick);
        }
        finally
        {
            if (Directory.Exists(_stagingDirectory))
            {
                Directory.Delete(_stagingDirectory, recursive: true);
            }
        }
    }

    private void Step()
    {
        Network.DeliverDue();
        foreach (var host in _hosts)
        {
            host.Step();
        }

        Checker.AfterStep(_hosts);
        Checker.TrackRemovals(_hosts); // after: a leader is checked against the removals applied before its election
        if (Options.Trace && Tick % 10 == 0)
        {
            TraceRoles();
        }
    }

    private void CheckHistory()
    {
        var result = HistoryChecker.Check(_history, new CheckOptions
        {
            MaxStepsPerKey = 2_000_000,
            TimeoutPerKey = TimeSpan.FromHours(1), // the step budget decides, so the verdict is the same on every machine
            MaxDegreeOfParallelism = 1,
        });
        if (result.Verdict == Verdict.NotLinearizable)
        {
            Fail(ViolationKind.Linearizability, result.Describe());
        }

        if (result.Verdict == Verdict.Unknown)
        {
            Fail(ViolationKind.CheckerUndecided, result.Describe());
        }
    }

    // The value a key ended with, on the node that applied the most.
    private string FinalValue(string key)
    {
        var host = _hosts.Where(h => h.IsUp).MaxBy(h => h.Machine.AppliedIndex)!;
        var value = host.Machine.Get(Encoding.UTF8.GetBytes(key));
        return value is null ? "" : Encoding.UTF8.GetString(value);
    }

    /// <summary>A broken property: the run ends here.</summary>
    internal void Fail(ViolationKind kind, string violation)
    {
        Trace($"VIOLATION {kind}: {violation}");
        throw new SimulationFailure(Options.Seed, Tick, kind, violation, forgeriesPerTick: Options.ForgeriesPerTick);
    }

    /// <summary>A client's answer arrived from <paramref name="node"/>.</summary>
    internal void OnResponse(int node, long connectionId, in ClientResponse response) =>
        _clients[(int)(connectionId / 100)].OnResponse(node, response);

    internal void Record(Operation operation) => _history.Add(operation);

    /// <summary>A value a client has seen under <paramref name="key"/>, so compare-and-swaps sometimes succeed.</summary>
    internal string? LastValueSeen(string key) => _lastValueSeen.GetValueOrDefault(key);

    internal void SawValue(string key, string value) => _lastValueSeen[key] = value;

    /// <summary>Entries each node's log keeps in memory (the newest ones); long.MaxValue: all of them.</summary>
    internal long LogCacheEntries { get; }

    /// <summary>Every this-many-th Get of a node's state machine goes pending, answered a turn or two later (0: none).</summary>
    internal int ColdGetEvery { get; }

    /// <summary>How long the next background log read takes, in ticks (0: it ends within the same turn).</summary>
    internal int LogFetchTicks() => _cacheRandom.Next(4);

    /// <summary>How long the next log write takes on the disk, in ticks (0: within the same turn).</summary>
    internal int DiskDelayTicks() => Random.Chance(_profile.SlowDiskProbability) ? 1 + Random.Next(_profile.SlowDiskTicksMax) : 0;

    internal void Trace(string line)
    {
        if (Options.Trace)
        {
            Console.WriteLine($"[{Tick,5}] {line}");
        }
    }

    private void TraceRoles()
    {
        Trace(string.Join("  ", _hosts.Select(h => h.Node is { } node
            ? $"n{h.Id}:{node.RaftNode.Role}/t{node.RaftNode.Term}/c{node.RaftNode.Committed}/l{node.RaftNode.LastIndex}/a{h.Machine.AppliedIndex}{(h.IsStalled ? "/stalled" : "")}"
            : $"n{h.Id}:down")));
    }
}

/// <summary>What a passing run did.</summary>
public readonly record struct SimulationResult(ulong Seed, int Nodes, long Ticks, long Committed, long Applies, long Operations, long LivenessTicks)
{
    /// <summary>Forged messages and chunks delivered to a running node (every one refused).</summary>
    public long Forgeries { get; init; }
}
