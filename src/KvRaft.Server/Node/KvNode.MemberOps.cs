using KvRaft.Protocol;
using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// The membership ops of the client protocol (docs/wire-format.md): the member list, and add-learner, promote and
/// remove, each answered Ok only once the leader applied the change it proposed (or at once when the configuration
/// already is what was asked: a retried request finds its change done), or refused.
/// </summary>
public sealed partial class KvNode
{
    private const int MemberWaitersMax = 64;

    // Member-change requests whose Config entry this leader appended, answered once it applied the entry in the same
    // term (Ok), or when its term moves or it stops leading first (Retryable), or at the request timeout. At most
    // MemberWaitersMax; one change at a time, so in practice one entry.
    private readonly List<MemberWaiter> _memberWaiters = [];

    private readonly record struct MemberWaiter(long Connection, ulong RequestId, ClientOp Op, long Index, long Term, long Tick);

    // The bootstrap peer addresses (--peers), used for members the replicated directory has no address for.
    private readonly IReadOnlyDictionary<int, string> _bootstrapPeers;
    private readonly ulong _clusterId; // told to joining nodes
    private readonly int[] _initialVoters; // the voters the cluster started with: a joining node starts from them too

    private void OnMemberListRequest(long connectionId, in ClientRequest request, long received)
    {
        if (!request.LocalView && _raft.Role != Role.Leader)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader, received: received);
            return;
        }
        _clients.Reply(connectionId, new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok, Members = MemberListing() }, received);
    }

    /// <summary>The configuration as this node sees it, with the addresses it knows and, on the leader, the match indexes.</summary>
    public MemberListing MemberListing()
    {
        var config = _raft.Config;
        var followers = _raft.Role == Role.Leader ? _raft.Status.Followers : null;
        var ids = config.Voters.Concat(config.VotersOutgoing).Concat(config.Learners).Distinct().Order();
        var members = new List<MemberInfo>();
        foreach (var id in ids)
        {
            var roles = (config.Voters.Contains(id) ? MemberRoles.Voter : 0) | (config.VotersOutgoing.Contains(id) ? MemberRoles.OutgoingVoter : 0)
                | (config.IsLearner(id) ? MemberRoles.Learner : 0);
            var match = followers is null ? -1 : id == Id ? _raft.LastIndex : followers.TryGetValue(id, out var follower) ? follower.Match : 0;
            members.Add(new MemberInfo { NodeId = id, Roles = roles, MatchIndex = match, PeerAddress = PeerAddressOf(id), ClientAddress = ClientAddressOf(id) });
        }
        return new MemberListing { NodeId = Id, ClusterId = _clusterId, InitialVoters = _initialVoters, Leading = followers is not null, Joint = config.IsJoint, LastIndex = _raft.LastIndex, Members = members };
    }

    /// <summary>The peer address of <paramref name="nodeId"/>: the replicated directory's, else the bootstrap one; null when unknown.</summary>
    public string? PeerAddressOf(int nodeId) =>
        _appliedDirectory.TryGet(nodeId, out var member) ? member.PeerAddress : _bootstrapPeers.GetValueOrDefault(nodeId);

    /// <summary>The client address of <paramref name="nodeId"/>: the replicated directory's, else the configured or announced one.</summary>
    public string? ClientAddressOf(int nodeId) =>
        _appliedDirectory.TryGet(nodeId, out var member) ? member.ClientAddress : _cluster.ClientAddressOf(nodeId);

    private void OnMemberChangeRequest(long connectionId, in ClientRequest request, long received)
    {
        if (_raft.Role != Role.Leader)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader, received: received);
            return;
        }
        var id = request.TargetNodeId;
        if (AlreadyDone(request) is { } done)
        {
            ReplyMemberChange(connectionId, request.RequestId, request.Op, done, received);
            return;
        }
        if (request.Op == ClientOp.RemoveMember && id == Id && TryHandOverBeforeRemoval(connectionId, request, received))
        {
            return;
        }
        var change = new ConfigChange(request.Op switch
        {
            ClientOp.AddLearner => ConfigChangeType.AddLearner,
            ClientOp.PromoteLearner => ConfigChangeType.AddVoter,
            _ => ConfigChangeType.RemoveNode,
        }, id);
        MemberAddress? added = request.Op == ClientOp.AddLearner ? new MemberAddress(id, request.PeerAddress!, request.ClientAddress!) : null;
        ProposeRequestedChange(connectionId, request.RequestId, request.Op, change, added, received);
    }

    /// <summary>Proposes a change a client asked for: it waits for its entry to apply, or is refused at once.</summary>
    private void ProposeRequestedChange(long connectionId, ulong requestId, ClientOp op, ConfigChange change, MemberAddress? added, long received)
    {
        if (_memberWaiters.Count >= MemberWaitersMax)
        {
            ReplyError(connectionId, requestId, op, ClientStatus.Retryable, "too many membership changes waiting", received);
            return;
        }
        var status = ProposeMemberChange(change, added, out var index);
        if (status != ConfigChangeStatus.Accepted)
        {
            ReplyMemberChange(connectionId, requestId, op, status, received);
            return;
        }
        _logger.LogInformation("Node {Id}: membership change {Change} proposed at {Index} as a client asked", Id, change, index);
        _memberWaiters.Add(new MemberWaiter(connectionId, requestId, op, index, _raft.Term, _tick));
    }

    /// <summary>
    /// Ok when the configuration already is what the request asks (a learner with the same addresses, a voter, a node
    /// that is no member), Invalid when a learner is asked for under other addresses or a node that is no learner is
    /// to be promoted, null when a change is needed.
    /// </summary>
    private ConfigChangeStatus? AlreadyDone(in ClientRequest request)
    {
        var config = _raft.Config;
        var id = request.TargetNodeId;
        switch (request.Op)
        {
            case ClientOp.AddLearner when config.IsMember(id):
                return _appliedDirectory.TryGet(id, out var known) && known.PeerAddress == request.PeerAddress && known.ClientAddress == request.ClientAddress
                    ? ConfigChangeStatus.Accepted : ConfigChangeStatus.Invalid;
            case ClientOp.PromoteLearner when config.Voters.Contains(id):
            case ClientOp.RemoveMember when !config.IsMember(id):
                return ConfigChangeStatus.Accepted;
            case ClientOp.PromoteLearner when !config.IsLearner(id):
                return ConfigChangeStatus.Invalid; // the core would add a voter outright: only a learner (caught up) is promoted
            default:
                return null;
        }
    }

    /// <summary>
    /// Proposes <paramref name="change"/> (leader only) carrying the addresses of <paramref name="added"/>, which the
    /// member directory of every node learns when it applies the change. Members of the initial configuration are not
    /// written: their addresses are each node's --peers (which may differ per node, through relays or NAT).
    /// </summary>
    public ConfigChangeStatus ProposeMemberChange(ConfigChange change, MemberAddress? added, out long index)
    {
        var context = added is { } member ? MemberDirectory.Encode([member]) : [];
        var status = _raft.ProposeConfigChange(new ReadOnlySpan<ConfigChange>(in change), ConfigTransition.Auto, context, out index);
        AfterInput();
        return status;
    }

    /// <summary>End of every turn: member-change requests whose entry applied, or whose leader moved on, are answered.</summary>
    private void AnswerMemberWaiters()
    {
        if (_memberWaiters.Count == 0)
        {
            return;
        }

        var applied = _machine.AppliedIndex;
        var oldest = _tick - _limits.RequestTimeoutTicks;
        var kept = 0;
        for (var i = 0; i < _memberWaiters.Count; i++)
        {
            var waiter = _memberWaiters[i];
            if (waiter.Term == _raft.Term && applied >= waiter.Index)
            {
                ReplyMemberChange(waiter.Connection, waiter.RequestId, waiter.Op, ConfigChangeStatus.Accepted, 0);
            }
            else if (waiter.Term != _raft.Term || _raft.Role != Role.Leader || waiter.Tick < oldest)
            {
                ReplyError(waiter.Connection, waiter.RequestId, waiter.Op, ClientStatus.Retryable,
                    "the change was not applied in time or leadership moved: it may still apply (see the member list)");
            }
            else
            {
                _memberWaiters[kept++] = waiter;
            }
        }
        _memberWaiters.RemoveRange(kept, _memberWaiters.Count - kept);
    }

    private void ReplyMemberChange(long connectionId, ulong requestId, ClientOp op, ConfigChangeStatus status, long received)
    {
        switch (status)
        {
            case ConfigChangeStatus.Accepted:
                _clients.Reply(connectionId, new ClientResponse { RequestId = requestId, Op = op, Status = ClientStatus.Ok }, received);
                break;
            case ConfigChangeStatus.NotLeader:
                ReplyError(connectionId, requestId, op, ClientStatus.NotLeader, received: received);
                break;
            case ConfigChangeStatus.TransferInProgress or ConfigChangeStatus.ChangePending:
                ReplyError(connectionId, requestId, op, ClientStatus.Retryable, status == ConfigChangeStatus.ChangePending
                    ? "change pending: another membership change is not applied yet (one at a time)"
                    : "a leadership transfer is under way", received);
                break;
            case ConfigChangeStatus.NoVotersLeft:
                ReplyError(connectionId, requestId, op, ClientStatus.InvalidArgument, "the change would leave no voter", received);
                break;
            default:
                ReplyError(connectionId, requestId, op, ClientStatus.InvalidArgument, op switch
                {
                    ClientOp.AddLearner => "the node is already a member (under other addresses), or the configuration is full",
                    ClientOp.PromoteLearner => "the node is no learner of the configuration",
                    _ => "the change does not fit the configuration",
                }, received);
                break;
        }
    }
}
