// Goal: a cluster of simulated processes that each host a replica of every group over one shared log, with a client that routes each key to its group's leader (the static StaticShardAssignment), for the tests of multi-group processes; method: lock-step turns (all processes step once per step), a seeded PRNG for delays, crashes and the nodes' seeds, the seed printed by the tests.
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using Xunit;

namespace KvRaft.Testing.Groups;

/// <summary>Processes 1..N, each hosting groups 0..G-1; one client with a session per group.</summary>
internal sealed class GroupedCluster
{
    private readonly GroupProcess[] _processes;
    private readonly int _commitDelayStepsMax;
    private readonly Dictionary<ulong, ClientResponse> _answers = [];
    private readonly Dictionary<int, (ulong Session, ulong Sequence)> _sessions = [];
    private ulong _nextRequestId = 1;
    private readonly List<GroupSnapshotStream> _streams = []; // snapshot streams under way

    /// <param name="controllerDataGroups">When above 0, group 0 is a replicated shard controller whose bootstrap has data groups 1..this.</param>
    /// <param name="wrapMachine">What each group's node sees of its state machine (a test decorator: a planted bug), by group.</param>
    /// <param name="snapshots">How the groups snapshot and install snapshots (null: they never do: production thresholds).</param>
    public GroupedCluster(int groups, int seed, int processes = 3, int commitDelayStepsMax = 2, bool ackBeforeDurable = false, int quiesceAfterTicks = 0, int controllerDataGroups = 0,
        Func<int, IKvStateMachine, IKvStateMachine>? wrapMachine = null, GroupSnapshots? snapshots = null)
    {
        WrapMachine = wrapMachine;
        Snapshots = snapshots;
        Groups = groups;
        QuiesceAfterTicks = quiesceAfterTicks;
        Random = new Random(seed);
        Map = new StaticShardAssignment(groups);
        ProcessIds = Enumerable.Range(1, processes).ToArray();
        Network = new GroupNetwork(this);
        _commitDelayStepsMax = commitDelayStepsMax;
        _processes = ProcessIds.Select(id => new GroupProcess(this, id)
        {
            AckBeforeDurable = ackBeforeDurable,
            Controller = controllerDataGroups > 0 ? new ReplicatedShardController(ControllerBootstrap(controllerDataGroups)) : null,
        }).ToArray();
        foreach (var process in _processes)
        {
            process.Start();
        }
    }

    public int Groups { get; }

    /// <summary>Every node's election timeout in ticks (KvNodeOptions' default).</summary>
    public const int ElectionTicks = 30;

    /// <summary>How the groups snapshot, and what they took and installed (null: they never do).</summary>
    public GroupSnapshots? Snapshots { get; }

    /// <summary>What each group's node sees of its state machine (a test decorator: a planted bug), by group.</summary>
    public Func<int, IKvStateMachine, IKvStateMachine>? WrapMachine { get; }

    /// <summary>The newest configuration any process's controller replica has applied (what a ShardQuery would soon answer).</summary>
    public ShardConfiguration LatestConfiguration => _processes.Select(process => process.Controller!.Latest).MaxBy(configuration => configuration.Number)!;

    /// <summary>Configuration 1 of a controller of data groups 1..<paramref name="dataGroups"/>, each with every process as a member.</summary>
    public ShardController ControllerBootstrap(int dataGroups)
    {
        var members = ProcessIds.Select(id => new ShardGroupMember(id, $"127.0.0.1:{9000 + id}", $"127.0.0.1:{8000 + id}")).ToArray();
        return ShardController.Bootstrap(ShardMap.DefaultShardCount, [.. Enumerable.Range(1, dataGroups).Select(group => new ShardGroup(group, members))]);
    }

    /// <summary>The processes' <see cref="GroupReplicas.QuiesceAfterTicks"/> (0: groups never quiesce).</summary>
    public int QuiesceAfterTicks { get; }

    public int[] ProcessIds { get; }

    public Random Random { get; }

    public StaticShardAssignment Map { get; }

    public GroupNetwork Network { get; }

    public long Step { get; private set; }

    public GroupProcess Process(int id) => _processes[id - 1];

    public IEnumerable<GroupProcess> Processes => _processes;

    public int CommitDelaySteps() => Random.Next(_commitDelayStepsMax + 1);

    public void OnAnswer(ClientResponse response) => _answers[response.RequestId] = response;

    /// <summary>A snapshot stream a leader started (<see cref="GroupSnapshotStream"/>): it steps from the next step on.</summary>
    public void StartSnapshotStream(GroupSnapshotStream stream) => _streams.Add(stream);

    public void RunSteps(int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            Step++;
            Network.DeliverDue();
            foreach (var stream in _streams.ToList()) // a stream's end may start another
            {
                stream.Step();
            }
            _streams.RemoveAll(stream => stream.Ended);
            foreach (var process in _processes)
            {
                process.Step(Step);
            }
        }
    }

    /// <summary>Runs until <paramref name="done"/>; fails after <paramref name="stepsMax"/>.</summary>
    public void RunUntil(Func<bool> done, int stepsMax = 20_000)
    {
        for (var i = 0; i < stepsMax && !done(); i++)
        {
            RunSteps(1);
        }
        Assert.True(done(), $"not reached within {stepsMax} steps");
    }

    /// <summary>The shard states of every running replica of the data groups (1 and up).</summary>
    public IEnumerable<GroupShards> DataReplicas() =>
        _processes.Where(process => process.Replicas is not null).SelectMany(process => Enumerable.Range(1, Groups - 1).Select(group => process.Replicas![group].Shards!));

    /// <summary>The process whose replica of <paramref name="group"/> leads in the highest term, if any.</summary>
    public GroupProcess? LeaderOf(int group) => _processes
        .Where(process => process.Replicas is { } replicas && replicas[group].RaftStatus.Role == Role.Leader)
        .MaxBy(process => process.Replicas![group].RaftStatus.Term);

    /// <summary>Runs until every group has a leader; fails after <paramref name="stepsMax"/>.</summary>
    public void ElectAll(int stepsMax = 3000)
    {
        for (var i = 0; i < stepsMax && Enumerable.Range(0, Groups).Any(group => LeaderOf(group) is null); i++)
        {
            RunSteps(1);
        }
        Assert.All(Enumerable.Range(0, Groups), group => Assert.NotNull(LeaderOf(group)));
    }

    /// <summary>Hands <paramref name="request"/> (a fresh request id) to the leader of <paramref name="group"/> without stepping; 0 when the group has none.</summary>
    public ulong Submit(int group, ClientRequest request)
    {
        if (LeaderOf(group) is not { } leader)
        {
            return 0;
        }
        var id = _nextRequestId++;
        leader.Replicas!.OnClientRequest(group, connectionId: 1, request with { RequestId = id }, identity: 0, received: 0);
        return id;
    }

    public ClientResponse? Answer(ulong requestId) => _answers.TryGetValue(requestId, out var response) ? response : null;

    /// <summary>Sends until an answer other than NotLeader or Retryable comes (retries keep the session's sequence); fails after <paramref name="stepsMax"/>.</summary>
    public ClientResponse Call(int group, ClientRequest request, int stepsMax = 5000, bool retryWrongGroup = false)
    {
        for (var started = Step; Step - started < stepsMax;)
        {
            var id = Submit(group, request);
            var waited = 0;
            for (; waited < 200 && (id == 0 || Answer(id) is null); waited++)
            {
                RunSteps(1);
            }
            if (id != 0 && Answer(id) is { Status: not (ClientStatus.NotLeader or ClientStatus.Retryable) } answer && !(retryWrongGroup && answer.Status == ClientStatus.WrongGroup))
            {
                return answer;
            }
            if (waited == 0)
            {
                RunSteps(1); // answered at once (WrongGroup): the same answer comes again until a step changes something
            }
        }
        throw new InvalidOperationException($"group {group}: no answer to {request.Op} within {stepsMax} steps");
    }

    /// <summary>Hands <paramref name="request"/> (a fresh request id) to process <paramref name="processId"/>'s replica of <paramref name="group"/>, leader or not.</summary>
    public ulong SubmitTo(int processId, int group, ClientRequest request)
    {
        var id = _nextRequestId++;
        Process(processId).Replicas!.OnClientRequest(group, connectionId: 1, request with { RequestId = id }, identity: 0, received: 0);
        return id;
    }

    /// <summary>Registers one session per group (sessions belong to a group's replicated state).</summary>
    public void RegisterSessions()
    {
        for (var group = 0; group < Groups; group++)
        {
            var answer = Call(group, new ClientRequest { Op = ClientOp.RegisterSession });
            Assert.Equal(ClientStatus.Ok, answer.Status);
            _sessions[group] = (answer.ClientId, 0);
        }
    }

    /// <summary>The next write of <paramref name="key"/>'s group's session: a Put routed by the shard map.</summary>
    public (int Group, ClientRequest Request) NextPut(string key, string value)
    {
        var group = Map.GroupOf(System.Text.Encoding.UTF8.GetBytes(key));
        var (session, sequence) = _sessions[group];
        _sessions[group] = (session, sequence + 1);
        return (group, new ClientRequest { Op = ClientOp.Put, ClientId = session, Sequence = sequence + 1, Key = System.Text.Encoding.UTF8.GetBytes(key), Value = System.Text.Encoding.UTF8.GetBytes(value) });
    }

    public ClientResponse Get(string key)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(key);
        return Call(Map.GroupOf(bytes), new ClientRequest { Op = ClientOp.Get, Key = bytes });
    }

    /// <summary>Every process crashes at once (a power cut), then restarts from what its disk kept.</summary>
    public void CrashAndRestartAll()
    {
        Network.Clear();
        foreach (var process in _processes)
        {
            process.Crash();
        }
        foreach (var process in _processes)
        {
            process.Start();
        }
    }
}
