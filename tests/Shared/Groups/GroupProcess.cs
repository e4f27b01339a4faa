// Goal: one simulated process that hosts a replica of every group, driven the way a multi-group host drives GroupReplicas; method: the memory twin of the shared log (a crash keeps, per group, a prefix of the unsynced writes, the last maybe torn), one commit per turn ending after a drawn delay, shard exports handed back after a drawn delay (or held by a test) as the host's background work is, optionally snapshots and their installs (GroupProcess.Snapshots.cs) and a clock that drifts, and an optional planted lie (durable reported before the commit) to show the crash check can fail.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using KvRaft.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KvRaft.Testing.Groups;

/// <summary>A process of a <see cref="GroupedCluster"/>: G replicas over one shared log.</summary>
internal sealed partial class GroupProcess
{
    private readonly GroupedCluster _cluster;
    private readonly Queue<long> _commitsDue = new(); // the step each started commit ends at, in order
    private readonly List<(long Due, int Group, ShardExport Export)> _exports = []; // taken from the nodes, not handed back yet
    private MemoryKvStateMachine[] _machines;
    private IKvStateMachine[] _seen = []; // what each group's node sees of its state machine
    private readonly Queue<Action<GroupReplicas>> _stalledInput = new(); // peer input that arrived while the loop was stalled
    private int _ticksMissed; // ticks that passed while the loop was stalled
    private long _lastDriftStep = -1000;

    public GroupProcess(GroupedCluster cluster, int id)
    {
        _cluster = cluster;
        Id = id;
        _machines = Enumerable.Range(0, cluster.Groups).Select(_ => cluster.Snapshots is { } snapshots
            ? new MemoryKvStateMachine(new StorageLimits { SnapshotChunkBytes = snapshots.ChunkBytes }) : new MemoryKvStateMachine()).ToArray();
    }

    /// <summary>-1 this process's clock runs slow (loses a tick now and then), 1 fast (gains one), 0 exact: at most one tick per election timeout.</summary>
    public int ClockDrift { get; set; }

    public int Id { get; }

    public MemorySharedRaftLog Log { get; private set; } = new();

    public GroupReplicas? Replicas { get; private set; }

    /// <summary>Planted bug: each group is told its writes are durable when the commit starts, not when it ends.</summary>
    public bool AckBeforeDurable { get; init; }

    /// <summary>Group 0's replicated shard controller (this process's configurations), when the cluster has one.</summary>
    public ReplicatedShardController? Controller { get; init; }

    /// <summary>Shard exports are taken from the nodes but not run nor handed back while set (a test holds them).</summary>
    public bool HoldExports { get; set; }

    /// <summary>Exports taken from the nodes and not handed back yet.</summary>
    public int ExportsInFlight => _exports.Count;

    /// <summary>Group <paramref name="group"/>'s state machine.</summary>
    public MemoryKvStateMachine MachineOf(int group) => _machines[group];

    /// <summary>Group 0's state machine.</summary>
    public MemoryKvStateMachine ControllerMachine => _machines[0];

    /// <summary>Starts (or restarts, after <see cref="Crash"/>) every group's node over what the shared log and state machines hold.</summary>
    public void Start()
    {
        if (Controller is not null)
        {
            _machines[0].Extension = Controller; // reloaded from group 0's records
        }
        var replicas = new GroupReplicas(Log) { QuiesceAfterTicks = _cluster.QuiesceAfterTicks };
        _seen = _machines.Select((machine, group) => _cluster.WrapMachine is { } wrap ? wrap(group, machine) : machine).ToArray();
        for (var group = 0; group < _cluster.Groups; group++)
        {
            var seed = (ulong)_cluster.Random.NextInt64();
            var (machine, staging) = (_machines[group], _cluster.Snapshots?.StagingOf(Id, group));
            if (staging is not null)
            {
                SnapshotInstaller.RemoveStagingFiles(staging); // installs that never finished, as GroupServer does at start
            }
            var node = new KvNode(new KvNodeOptions
            {
                Cluster = new ClusterInfo(Id, _cluster.ProcessIds.ToDictionary(id => id, id => $"127.0.0.1:{9000 + id}")),
                Voters = _cluster.ProcessIds,
                Seed = seed,
                SessionIds = new SeededSessionIds(seed),
                ElectionTicks = GroupedCluster.ElectionTicks,
                Limits = _cluster.Snapshots?.LimitsOf(group) ?? new ServerLimits(),
            }, replicas.OpenLog(group), _seen[group], new GroupOutbox(_cluster, Id, group), new AnswerOutbox(_cluster), NullLogger.Instance)
            {
                Routing = Controller is { } controller && group <= controller.HostedGroups.Count ? new GroupRouting(group, controller) : null,
                NewSnapshotInstaller = staging is null ? null : () => new SnapshotInstaller(machine, staging),
                InstallRunner = staging is null ? null : new DelayedInstalls(this, group),
            };
            replicas.Add(group, node);
        }
        Replicas = replicas;
    }

    /// <summary>A crash: every group loses what was not synced (a prefix of each survives), the state machines go back to their checkpoints.</summary>
    public void Crash()
    {
        Log = Log.Recover(_cluster.Random);
        _machines = _machines.Select(machine => machine.Recover()).ToArray();
        Replicas = null;
        _commitsDue.Clear();
        _exports.Clear(); // the background work dies with the process
        _stalledInput.Clear();
        _installs.Clear(); // a swap that had not run: the state machine is as before it
        _snapshotsTaken.Clear();
        (StalledUntilStep, _ticksMissed) = (-1, 0);
    }

    /// <summary>The event loop stops until this step (a GC pause, a slow call): peer input waits, the missed ticks are handed over on resuming.</summary>
    public long StalledUntilStep { get; set; } = -1;

    /// <summary>A peer message for <paramref name="group"/>: taken now, or queued while the loop is stalled; a correct peer's is never refused.</summary>
    public void Deliver(int group, int from, in PeerMessage message)
    {
        var received = message;
        Input(replicas =>
        {
            var check = replicas.OnPeerMessage(group, from, received);
            Assert.False(check.IsRefused, $"p{Id} refused a message of group {group} from p{from}: {check.Reason}");
        });
    }

    /// <summary>Input for the loop (a message, a snapshot chunk, a background task's end): handled now, queued while stalled, lost while down.</summary>
    public void Input(Action<GroupReplicas> input)
    {
        if (Replicas is not { } replicas)
        {
            return;
        }
        if (_cluster.Step < StalledUntilStep)
        {
            _stalledInput.Enqueue(input);
            return;
        }
        input(replicas);
    }

    /// <summary>One turn: the ticks (and those missed while stalled), input that waited, the turn's end, commits that ended, then every group's Readies under one commit.</summary>
    public void Step(long step)
    {
        if (Replicas is not { } replicas)
        {
            return;
        }
        if (step < StalledUntilStep)
        {
            _ticksMissed++;
            return;
        }

        DeliverTicks(replicas, step);
        while (_stalledInput.TryDequeue(out var input))
        {
            input(replicas);
        }
        CompleteDueInstalls(replicas, step);
        replicas.EndTurn();
        for (var round = 0; round < 4; round++)
        {
            CompleteDueCommits(replicas, step);
            if (!replicas.TryAcceptReadies())
            {
                if (_commitsDue.Count == 0 || _commitsDue.Peek() > step)
                {
                    break;
                }

                continue;
            }
            var due = step + _cluster.CommitDelaySteps();
            _commitsDue.Enqueue(Math.Max(due, _commitsDue.Count > 0 ? _commitsDue.Last() : due));
            if (AckBeforeDurable)
            {
                replicas.OnCommitDurable(); // the lie: the groups act on writes the disk does not hold yet
            }
        }
        RunExports(replicas, step);
        RunSnapshots(replicas, step);
    }

    /// <summary>
    /// This step, plus the steps missed while stalled, plus or minus the drift: at most one tick gained or lost per
    /// election timeout (the bound lease reads assume), as the one-group simulator's hosts.
    /// </summary>
    private void DeliverTicks(GroupReplicas replicas, long step)
    {
        var ticks = 1 + _ticksMissed;
        _ticksMissed = 0;
        if (ClockDrift != 0 && step - _lastDriftStep >= GroupedCluster.ElectionTicks && _cluster.Random.NextDouble() < 0.2)
        {
            _lastDriftStep = step;
            ticks += ClockDrift;
        }
        if (ticks > 0)
        {
            replicas.OnTicks(ticks);
        }
    }

    /// <summary>The host's background exports: taken after the turn, each read and handed back after a drawn delay.</summary>
    private void RunExports(GroupReplicas replicas, long step)
    {
        for (var group = 0; group < _cluster.Groups; group++)
        {
            while (replicas[group].TryTakeShardExport(out var export))
            {
                _exports.Add((step + 1 + _cluster.CommitDelaySteps(), group, export));
            }
        }
        for (var i = 0; i < _exports.Count && !HoldExports; i++)
        {
            var (due, group, export) = _exports[i];
            if (due <= step)
            {
                _exports.RemoveAt(i--);
                replicas[group].OnShardExported(export, _seen[group].ExportShard(export.Request));
            }
        }
    }

    private void CompleteDueCommits(GroupReplicas replicas, long step)
    {
        while (_commitsDue.TryPeek(out var due) && due <= step)
        {
            _commitsDue.Dequeue();
            Assert.True(Log.CommitAsync().IsCompletedSuccessfully); // the memory twin's commit ends inline
            if (!AckBeforeDurable)
            {
                replicas.OnCommitDurable();
            }
        }
    }

    /// <summary>A group's peer outbox: each message leaves as the group frame the transport would write.</summary>
    private sealed class GroupOutbox(GroupedCluster cluster, int from, int group) : IPeerOutbox
    {
        public void Send(in PeerMessage message)
        {
            var frame = new byte[GroupFrameCodec.FrameSize(group, message)];
            GroupFrameCodec.FormatFrame(group, message, frame);
            cluster.Network.Send(from, message.To, frame);
        }

        public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer)
        {
            Assert.True(cluster.Snapshots is not null, "these tests write too little for a snapshot");
            cluster.StartSnapshotStream(new GroupSnapshotStream(cluster, from, group, message, snapshot, transfer));
        }

        public void Flush() { }

        public void SendToGroup(int targetGroup, in PeerMessage message)
        {
            var frame = new byte[GroupFrameCodec.FrameSize(targetGroup, message)];
            GroupFrameCodec.FormatFrame(targetGroup, message, frame);
            cluster.Network.Send(from, message.To, frame);
        }
    }

    /// <summary>Answers to the harness's client (value memory copied: the node reuses its buffer).</summary>
    private sealed class AnswerOutbox(GroupedCluster cluster) : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) =>
            cluster.OnAnswer(response with { Value = response.Value.ToArray() });

        public void Flush() { }
    }
}
