using KvRaft.Protocol;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// The replicas of several Raft groups hosted by one process (issue 16, "Multi-Raft in one process"): one
/// <see cref="KvNode"/> per group, each with its own Raft state, sessions and state machine, all of them writing
/// their log to the views of ONE <see cref="ISharedRaftLog"/>. Deterministic like the node (no I/O, no clock, one
/// thread): the host feeds it ticks and input, then at the end of each turn calls <see cref="TryAcceptReadies"/>,
/// which takes every group's Readies (their Messages sent, their entries and hard states appended to the shared
/// log, their durable commits applied), and when it returns true starts ONE commit of the shared log, covering every
/// group's writes of the turn, and calls <see cref="OnCommitDurable"/> when that commit has ended (commits end in
/// the order they were started). Only then does each group send what depended on its writes (acknowledgements,
/// votes) and count its own copy: the Ready contract across groups, with one device sync per turn instead of one per
/// group (docs/design.md, "Sharding: many groups in one process").
/// </summary>
public sealed partial class GroupReplicas
{
    private readonly ISharedRaftLog _log;
    private readonly Dictionary<int, int> _slotOf = []; // group id → index into _groupIds and _nodes
    private readonly List<int> _groupIds = []; // in the order they were added
    private readonly List<KvNode> _nodes = [];
    private readonly Dictionary<int, IRaftLogStore> _logs = []; // group id → its view of the shared log (opened here)
    // Per commit started and not yet reported durable, oldest first: the log writes of each slot it covers (the
    // count of that group's accepted Readies that appended). Invariant: per slot, the sum over the queue equals that
    // node's LogWritesInFlight.
    private readonly Queue<int[]> _commits = new();
    private readonly Stack<int[]> _countsPool = new();
    private int[]? _turnCounts; // the writes of the commit being gathered (null: none yet this turn)

    /// <summary>Replicas over <paramref name="log"/>, the process's one shared log.</summary>
    public GroupReplicas(ISharedRaftLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    /// <summary>The shared log the groups write to.</summary>
    public ISharedRaftLog Log => _log;

    /// <summary>The groups hosted here, in the order they were added.</summary>
    public IReadOnlyList<int> GroupIds => _groupIds;

    /// <summary>Counts of the commits this process started for its groups.</summary>
    public GroupCommitStatistics Statistics { get; } = new();

    /// <summary>Commits started and not yet reported durable.</summary>
    public int CommitsInFlight => _commits.Count;

    /// <summary>Opens group <paramref name="groupId"/>'s view of the shared log, for the node that <see cref="Add"/> will host.</summary>
    public IRaftLogStore OpenLog(int groupId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(groupId, ProtocolLimits.GroupsMax);
        var log = _log.OpenGroup(groupId); // throws when the group is open already
        _logs.Add(groupId, log);
        return log;
    }

    /// <summary>Group <paramref name="groupId"/>'s view of the shared log (for the host's background reads).</summary>
    public IRaftLogStore LogOf(int groupId) => _logs[groupId];

    /// <summary>
    /// Hosts <paramref name="node"/> as the replica of group <paramref name="groupId"/>. The node must have been built
    /// over the view <see cref="OpenLog"/> gave for that group, and have no write in flight.
    /// </summary>
    public void Add(int groupId, KvNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentOutOfRangeException.ThrowIfNegative(groupId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(groupId, ProtocolLimits.GroupsMax);
        if (_slotOf.ContainsKey(groupId))
        {
            throw new InvalidOperationException($"group {groupId} is already hosted by this process");
        }
        if (!_logs.ContainsKey(groupId))
        {
            throw new InvalidOperationException($"group {groupId}'s log was not opened through OpenLog");
        }
        Invariant.True(_commits.Count == 0 && _turnCounts is null, "a group added while commits are in flight");
        Invariant.True(node.LogWritesInFlight == 0, "a group added with writes in flight");
        _slotOf.Add(groupId, _nodes.Count);
        _groupIds.Add(groupId);
        _nodes.Add(node);
        _countsPool.Clear(); // the counts arrays are as long as the groups
    }

    /// <summary>True when this process hosts a replica of <paramref name="groupId"/>.</summary>
    public bool Hosts(int groupId) => _slotOf.ContainsKey(groupId);

    /// <summary>The replica of <paramref name="groupId"/>, if hosted here.</summary>
    public bool TryGet(int groupId, out KvNode node)
    {
        if (_slotOf.TryGetValue(groupId, out var slot))
        {
            node = _nodes[slot];
            return true;
        }
        node = null!;
        return false;
    }

    /// <summary>The replica of <paramref name="groupId"/>; throws when it is not hosted here (a caller's bug).</summary>
    public KvNode this[int groupId] => TryGet(groupId, out var node) ? node : throw new KeyNotFoundException($"group {groupId} is not hosted by this process");

    /// <summary><paramref name="elapsedTicks"/> ticks of logical time for every group.</summary>
    public void OnTicks(int elapsedTicks)
    {
        for (var slot = 0; slot < _nodes.Count; slot++)
        {
            if (!TakeQuiescentTick(slot, elapsedTicks))
            {
                _nodes[slot].OnTicks(elapsedTicks);
            }
        }
    }

    /// <summary>
    /// A message of group <paramref name="groupId"/> from peer process <paramref name="sender"/>: the group's node checks
    /// and takes it; a group not hosted here is refused (the transport drops such frames first; this is the node-side
    /// check for any other path, such as the simulator's network).
    /// </summary>
    public PeerCheck OnPeerMessage(int groupId, int sender, in PeerMessage message)
    {
        if (!_slotOf.TryGetValue(groupId, out var slot))
        {
            return PeerCheck.Refuse(NotHostedReason(groupId));
        }
        OnPeerActivity(slot, message.Type);
        Statistics.PeerMessageReceived(message.Type);
        return _nodes[slot].OnPeerMessage(sender, message);
    }

    /// <summary>A snapshot chunk of group <paramref name="groupId"/> (see <see cref="OnPeerMessage"/>).</summary>
    public PeerCheck OnSnapshotChunk(int groupId, int sender, in Protocol.SnapshotChunk chunk)
    {
        if (!_slotOf.TryGetValue(groupId, out var slot))
        {
            return PeerCheck.Refuse(NotHostedReason(groupId));
        }
        Wake(slot);
        return _nodes[slot].OnSnapshotChunk(sender, chunk);
    }

    /// <summary>The transport could not reach <paramref name="peer"/>: every group hears of it (they share the connection).</summary>
    public void OnPeerUnreachable(int peer)
    {
        for (var slot = 0; slot < _nodes.Count; slot++)
        {
            _nodes[slot].OnPeerUnreachable(peer);
        }
    }

    /// <summary>Whether some group left a Ready for the next turn, its applies having reached their limit (<see cref="KvNode.ApplyDeferred"/>).</summary>
    public bool ApplyDeferred
    {
        get
        {
            for (var slot = 0; slot < _nodes.Count; slot++)
            {
                if (_nodes[slot].ApplyDeferred)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The end of a turn for every group (see <see cref="KvNode.EndTurn"/>).</summary>
    public void EndTurn()
    {
        for (var slot = 0; slot < _nodes.Count; slot++)
        {
            _nodes[slot].EndTurn();
        }
    }

    private static string NotHostedReason(int groupId) => $"group {groupId} is not hosted by this process";
}
