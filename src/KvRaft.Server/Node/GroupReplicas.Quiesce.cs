using KvRaft.Protocol;

namespace KvRaft.Server.Node;

/// <summary>
/// Quiescing of idle groups (Dragonboat's quiesce; docs/design.md, "Sharding: many groups in one process"): a group
/// with nothing to do stops ticking, so its leader sends no heartbeats and its followers start no election. A group is
/// idle while nothing but heartbeats reaches it: a follower quiesces after <see cref="QuiesceAfterTicks"/> idle ticks,
/// a leader after twice that, so that its followers have stopped expecting heartbeats before it stops sending them. Any
/// other peer message, a snapshot chunk or a client request wakes it: it ticks again, and whatever it sends (an
/// Append, a read index request, a pre-vote) wakes the replicas it reaches. Ticks only drive timeouts: safety never
/// rests on them, so a quiesced group is as safe as a busy one; a quiesced leader that died is noticed at the next
/// request (its followers wake and elect).
/// </summary>
public sealed partial class GroupReplicas
{
    private readonly List<QuiesceState> _quiesce = []; // by slot, grown with the groups

    /// <summary>Idle ticks after which a follower quiesces (a leader after twice as many); 0, the default: never.</summary>
    public int QuiesceAfterTicks { get; init; }

    /// <summary>Groups quiesced now (any thread reads it).</summary>
    public int QuiescedCount => Volatile.Read(ref _quiescedCount);

    private int _quiescedCount;

    /// <summary>Whether group <paramref name="groupId"/>'s replica here is quiesced.</summary>
    public bool IsQuiesced(int groupId) => _slotOf.TryGetValue(groupId, out var slot) && slot < _quiesce.Count && _quiesce[slot].Quiesced;

    /// <summary>A client request for group <paramref name="groupId"/>: it wakes the group, then goes to its node.</summary>
    public void OnClientRequest(int groupId, long connectionId, in ClientRequest request, ulong identity, long received)
    {
        var node = this[groupId];
        Wake(_slotOf[groupId]);
        node.OnClientRequest(connectionId, request, identity, received);
    }

    /// <summary>
    /// The tick of the replica in <paramref name="slot"/>: true when it is quiesced (it does not tick). Counts its idle
    /// ticks and quiesces it once they reach its bound, unless it has writes in flight or a leadership transfer under way (the
    /// core abandons a transfer on its ticks).
    /// </summary>
    private bool TakeQuiescentTick(int slot, int elapsedTicks)
    {
        if (QuiesceAfterTicks == 0)
        {
            return false;
        }
        var state = State(slot);
        if (state.Quiesced)
        {
            return true;
        }
        state.IdleTicks += elapsedTicks;
        var node = _nodes[slot];
        if (state.IdleTicks < QuiesceAfterTicks || node.LogWritesInFlight > 0 || node.LeadTransferee != 0
            || (node.IsLeader && state.IdleTicks < 2L * QuiesceAfterTicks))
        {
            return false;
        }
        state.Quiesced = true;
        Interlocked.Increment(ref _quiescedCount);
        return true;
    }

    /// <summary>A peer message for the replica in <paramref name="slot"/>: any but a heartbeat (or its answer) is activity.</summary>
    private void OnPeerActivity(int slot, PeerMessageType type)
    {
        if (type is not (PeerMessageType.Heartbeat or PeerMessageType.HeartbeatResponse))
        {
            Wake(slot);
        }
    }

    /// <summary>Activity in the replica of <paramref name="slot"/>: its idle count starts again, and it ticks again if quiesced.</summary>
    private void Wake(int slot)
    {
        if (QuiesceAfterTicks == 0)
        {
            return;
        }
        var state = State(slot);
        state.IdleTicks = 0;
        if (state.Quiesced)
        {
            state.Quiesced = false;
            Interlocked.Decrement(ref _quiescedCount);
        }
    }

    private QuiesceState State(int slot)
    {
        while (_quiesce.Count <= slot)
        {
            _quiesce.Add(new QuiesceState());
        }
        return _quiesce[slot];
    }

    private sealed class QuiesceState
    {
        public long IdleTicks { get; set; }

        public bool Quiesced { get; set; }
    }
}
