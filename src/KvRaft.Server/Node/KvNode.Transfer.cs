using KvRaft.Protocol;
using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>Leadership hand-over: before a leader stops, and on an operator's request.</summary>
public sealed partial class KvNode
{
    /// <summary>Leadership transfer to <paramref name="to"/> requested by an operator; false when not possible now.</summary>
    public bool TransferLeadership(int to) => _raft.TransferLeadership(to);

    /// <summary>
    /// Starts handing leadership to the best follower: a voter heard from recently before one that was not, then the
    /// highest match index (the fewest entries to send before TimeoutNow), then the lowest id.
    /// </summary>
    /// <returns>The chosen node, or 0 when this node is not the leader or no other voter is reachable.</returns>
    public int HandOverLeadership()
    {
        var target = BestTransferTarget();
        if (target == 0 || !_raft.TransferLeadership(target))
        {
            return 0;
        }

        _logger.LogInformation("Node {Id}: handing leadership over to node {Target}", Id, target);
        return target;
    }

    /// <summary>The leader this node follows (itself when leader), 0 when unknown.</summary>
    public int Leader => _raft.Leader;

    /// <summary>True while this node is the leader.</summary>
    public bool IsLeader => _raft.Role == Role.Leader;

    /// <summary>The node a leadership transfer is under way to (0 for none).</summary>
    public int LeadTransferee => _raft.LeadTransferee;

    private const int TransferWaitersMax = 64;

    // The transfer under way when the last turn ended as leader (0: none), and, once this node stepped down, the node it
    // was handing over to with the term it stepped down in: the likely leader, named in NotLeader answers while this
    // node knows no leader in that term (between the transferee's vote request and its first append).
    private int _transfereeSeen;
    private (long Term, int Node) _handedOverTo;

    /// <summary>The leader a NotLeader answer names: the one heard from recently, else the transferee this node just stepped down for.</summary>
    private int HintedLeader()
    {
        var leader = _raft.RecentLeader;
        if (_raft.Role == Role.Leader)
        {
            return _stopped ? 0 : leader; // a stopped leader (no one took over) names none: the client tries another node
        }

        if (leader != 0)
        {
            return leader;
        }

        if (_role == Role.Leader)
        {
            return _transfereeSeen; // stepped down in this turn: AfterInput has not noted it yet
        }

        return _handedOverTo.Term == _raft.Term ? _handedOverTo.Node : 0;
    }

    // Requests waiting for a transfer this node started as leader: TransferLeader (answered Ok with the new leader, or
    // Retryable when the core abandoned it) and RemoveMember of this node itself (answered NotLeader naming the new
    // leader, who removes it on the client's retry; proposed here after all when the transfer was abandoned). Each is
    // answered once the transfer ends (another node is known to lead, or this one leads with no transfer under way),
    // or Retryable at the request timeout. At most TransferWaitersMax.
    private readonly List<TransferWaiter> _transferWaiters = [];

    private readonly record struct TransferWaiter(long Connection, ulong RequestId, ClientOp Op, long Tick, long Received);

    private void OnTransferLeaderRequest(long connectionId, in ClientRequest request)
    {
        if (_raft.Role != Role.Leader)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader);
            return;
        }
        var target = request.TargetNodeId == 0 ? BestTransferTarget() : request.TargetNodeId;
        if (target == Id)
        {
            ReplyTransferDone(connectionId, request.RequestId, Id); // already leads
            return;
        }
        if (_transferWaiters.Count >= TransferWaitersMax)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "too many leadership transfers waiting");
            return;
        }
        if (target == 0 || !_raft.TransferLeadership(target))
        {
            var message = target == 0 ? "no other voter to hand leadership to" : $"node {target} is not another voter of this cluster";
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.InvalidArgument, message);
            return;
        }
        _logger.LogInformation("Node {Id}: handing leadership over to node {Target} as a client asked", Id, target);
        _transferWaiters.Add(new TransferWaiter(connectionId, request.RequestId, request.Op, _tick, 0));
    }

    /// <summary>
    /// A leader asked to remove itself hands leadership to its best follower first (all other voters stay), so the
    /// cluster has a new leader by TimeoutNow instead of after an election timeout of silence once the removal applies;
    /// the request waits for the transfer's end. False (nothing done) when there is no follower to hand over to, too
    /// many requests wait, or the configuration is joint (no change is taken before it is left): the removal is then
    /// proposed here, or refused.
    /// </summary>
    private bool TryHandOverBeforeRemoval(long connectionId, in ClientRequest request, long received)
    {
        if (_transferWaiters.Count >= TransferWaitersMax || _raft.Config.IsJoint || HandOverLeadership() == 0)
        {
            return false;
        }

        _transferWaiters.Add(new TransferWaiter(connectionId, request.RequestId, request.Op, _tick, received));
        return true;
    }

    /// <summary>End of every turn: the waiting requests are answered once the transfer has ended.</summary>
    private void AnswerTransferWaiters()
    {
        if (_transferWaiters.Count == 0)
        {
            return;
        }

        var leading = _raft.Role == Role.Leader;
        var ended = leading ? _raft.LeadTransferee == 0 : _raft.Leader != 0; // a node stepped down waits to know the new leader
        var oldest = _tick - _limits.RequestTimeoutTicks;
        var kept = 0;
        for (var i = 0; i < _transferWaiters.Count; i++)
        {
            var waiter = _transferWaiters[i];
            if (ended)
            {
                AnswerTransferWaiter(waiter, leading);
            }
            else if (waiter.Tick < oldest)
            {
                ReplyError(waiter.Connection, waiter.RequestId, waiter.Op, ClientStatus.Retryable, "no leader known yet after the leadership transfer", waiter.Received);
            }
            else
            {
                _transferWaiters[kept++] = waiter;
            }
        }
        _transferWaiters.RemoveRange(kept, _transferWaiters.Count - kept);
    }

    private void AnswerTransferWaiter(in TransferWaiter waiter, bool leading)
    {
        switch (waiter.Op, leading)
        {
            case (ClientOp.TransferLeader, false):
                ReplyTransferDone(waiter.Connection, waiter.RequestId, _raft.Leader);
                break;
            case (ClientOp.TransferLeader, true):
                ReplyError(waiter.Connection, waiter.RequestId, waiter.Op, ClientStatus.Retryable, "leadership transfer abandoned: the target did not take over within an election timeout");
                break;
            case (_, false): // RemoveMember of this node: the new leader removes it when the client retries there
                ReplyError(waiter.Connection, waiter.RequestId, waiter.Op, ClientStatus.NotLeader, "leadership handed over before this node's removal", waiter.Received);
                break;
            default: // the hand-over was abandoned: this leader proposes its own removal, as without one
                ProposeRequestedChange(waiter.Connection, waiter.RequestId, waiter.Op, new ConfigChange(ConfigChangeType.RemoveNode, Id), null, waiter.Received);
                break;
        }
    }

    private void ReplyTransferDone(long connectionId, ulong requestId, int leader) =>
        _clients.Reply(connectionId, new ClientResponse { RequestId = requestId, Op = ClientOp.TransferLeader, Status = ClientStatus.Ok, LeaderKnown = true, LeaderId = leader });

    private int BestTransferTarget()
    {
        if (_raft.Role != Role.Leader)
        {
            return 0;
        }

        var status = _raft.Status;
        if (status.Followers is null)
        {
            return 0;
        }

        var best = 0;
        (bool Active, long Match) bestKey = (false, -1);
        foreach (var voter in _raft.Voters)
        {
            if (voter == Id || !status.Followers.TryGetValue(voter, out var follower))
            {
                continue;
            }

            (bool Active, long Match) key = (follower.RecentActive, follower.Match);
            if (best == 0 || IsBetter(key, bestKey))
            {
                best = voter;
                bestKey = key;
            }
        }
        return best;
    }

    private static bool IsBetter((bool Active, long Match) key, (bool Active, long Match) than) =>
        key.Active != than.Active ? key.Active : key.Match > than.Match; // voters come in id order: a tie keeps the lower id
}
