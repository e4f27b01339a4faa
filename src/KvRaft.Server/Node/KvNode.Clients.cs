using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    /// <summary>
    /// A client request (memory owned by the request). Writes and reads are batched until <see cref="EndTurn"/>.
    /// <paramref name="identity"/> is the digest of the connection's verified client certificate (0 when the client
    /// port does not authenticate clients): the leader stamps it on the writes it proposes, and a session belongs to
    /// the identity that registered it.
    /// </summary>
    public void OnClientRequest(long connectionId, in ClientRequest request, ulong identity = 0) =>
        OnClientRequest(connectionId, request, identity, _profile.Timestamp());

    /// <summary>
    /// A client request the host read off its connection at <paramref name="received"/> (a timestamp of the host's
    /// clock, see <see cref="INodeProfile"/>: the stage profile starts there; nothing else depends on it), from a
    /// connection of <paramref name="identity"/> (see the overload above).
    /// </summary>
    public void OnClientRequest(long connectionId, in ClientRequest request, ulong identity, long received)
    {
        if (ClientContract.Check(request) is { } invalid)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.InvalidArgument, invalid, received);
            return;
        }
        if (TryAnswerRouting(connectionId, request, received))
        {
            return;
        }
        switch (request.Op)
        {
            case ClientOp.Status:
                _clients.Reply(connectionId, new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok, Node = NodeStatus() }, received);
                return;
            case ClientOp.Get:
                QueueRead(connectionId, request, received);
                return;
            case ClientOp.TransferLeader:
                OnTransferLeaderRequest(connectionId, request);
                return;
            case ClientOp.MemberList:
                OnMemberListRequest(connectionId, request, received);
                return;
            case ClientOp.AddLearner or ClientOp.PromoteLearner or ClientOp.RemoveMember:
                OnMemberChangeRequest(connectionId, request, received);
                return;
            default:
                QueueWrite(connectionId, request, identity, received);
                return;
        }
    }

    /// <summary>
    /// End of an event-loop turn: everything that arrived becomes one proposal and one read round; Gets that waited for
    /// the state machine's device and whose reads ended are answered.
    /// </summary>
    public void EndTurn()
    {
        _appliedBytesThisTurn = 0; // a new turn's budget of applies (see TryAcceptReady)
        ApplyDeferred = false;
        AnswerColdReads();
        ProposeTurnWrites();
        StartTurnReads();
        AfterInput();
        AnswerTransferWaiters();
        AnswerMemberWaiters();
        _clients.Flush(); // answers given this turn (NotLeader, Status, busy) leave now, not with the next Ready
    }

    private void ReplyError(long connectionId, ulong requestId, ClientOp op, ClientStatus status, string? message = null, long received = 0)
    {
        var response = new ClientResponse { RequestId = requestId, Op = op, Status = status, Message = message };
        if (status == ClientStatus.NotLeader)
        {
            // A node that is no member, or has not heard from its leader for an election timeout, names none: its hint
            // could be stale for good (removed nodes once sent clients round a loop among themselves). The client then
            // tries another node.
            var leader = _raft.Config.IsMember(Id) ? HintedLeader() : 0;
            response = response with
            {
                LeaderKnown = leader != 0,
                LeaderId = leader,
                LeaderAddress = leader != 0 ? ClientAddressOf(leader) : null,
            };
        }
        _clients.Reply(connectionId, response, received);
    }

    private NodeStatus NodeStatus()
    {
        var status = _raft.Status;
        return new NodeStatus
        {
            NodeId = status.Id,
            Role = (NodeRole)status.Role,
            Term = status.Term,
            LeaderKnown = status.Leader != 0,
            LeaderId = status.Leader,
            CommitIndex = status.Commit,
            AppliedIndex = _machine.AppliedIndex,
            LogFirstIndex = _log.FirstIndex,
            LogLastIndex = _log.LastIndex,
            SnapshotIndex = _machine.LatestSnapshot?.Info.Index ?? 0,
        };
    }

    /// <summary>Answers every request older than the request timeout with a retryable error.</summary>
    private void ExpireRequests()
    {
        var oldest = _tick - _limits.RequestTimeoutTicks;
        ExpireProposals(oldest);
        ExpireReads(oldest);
    }
}
