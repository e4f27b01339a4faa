using System.Text;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Simulation;

/// <summary>
/// The operator of a sharded run: one controller change at a time (a shard move, or a rebalance: a data group leaves,
/// or one that left joins again), written through the controller group's log under a session, the same request sent
/// again on NotLeader, Retryable or silence, as KvClient does.
/// </summary>
internal sealed partial class ShardedSimulation
{
    private const int SilenceSteps = 150;
    private ulong _controllerSession;
    private ulong _controllerSequence;
    private ClientRequest? _controllerPending;
    private ulong _controllerRequestId;
    private long _controllerSentAt;
    private long _controllerResendAt;
    private long _nextControllerChangeAt;
    private int _moves;
    private int _rebalances;

    private void DriveController(bool startNew)
    {
        if (_controllerPending is null)
        {
            if (startNew && Step >= _nextControllerChangeAt)
            {
                _nextControllerChangeAt = Step + _profile.ControllerEverySteps;
                StartControllerChange();
            }
            return;
        }
        if (_controllerRequestId != 0 && _cluster.Answer(_controllerRequestId) is { } answer)
        {
            _controllerRequestId = 0;
            OnControllerAnswer(answer);
        }
        else if (Step - _controllerSentAt > SilenceSteps)
        {
            _controllerRequestId = 0; // unanswered (lost to a crash or a partition): sent again unchanged
        }
        if (_controllerPending is { } pending && _controllerRequestId == 0 && Step >= _controllerResendAt)
        {
            _controllerRequestId = _cluster.Submit(0, pending);
            _controllerSentAt = Step;
            _controllerResendAt = Step + 5; // when no leader took it
        }
    }

    private void OnControllerAnswer(ClientResponse answer)
    {
        var request = _controllerPending!.Value;
        switch (answer.Status)
        {
            case ClientStatus.Ok:
                Trace($"controller: {request.Op} group {request.GroupId} shard {request.Shard} done, configuration {_cluster.LatestConfiguration.Number}");
                if (request.Op == ClientOp.ShardMove)
                {
                    _moves++;
                }
                else
                {
                    _rebalances++;
                }
                _controllerPending = null;
                return;
            case ClientStatus.NotLeader or ClientStatus.Retryable:
                _controllerResendAt = Step + 2;
                return;
            default:
                throw Failure(ViolationKind.UnexpectedException, $"the controller answered {request.Op} group {request.GroupId} shard {request.Shard} with {answer.Status} {answer.Message}");
        }
    }

    /// <summary>Draws the next change from the newest configuration (every earlier change was answered, so applied).</summary>
    private void StartControllerChange()
    {
        var latest = _cluster.LatestConfiguration;
        var joined = latest.Groups.Select(group => group.GroupId).ToArray();
        var left = Enumerable.Range(1, _profile.DataGroups).Except(joined).ToArray();
        ClientRequest request;
        if (_random.Next(5) == 0 && (left.Length > 0 || joined.Length > 1))
        {
            request = left.Length > 0
                ? new ClientRequest { Op = ClientOp.GroupJoin, GroupId = left[_random.Next(left.Length)] }
                : new ClientRequest { Op = ClientOp.GroupLeave, GroupId = joined[_random.Next(joined.Length)] };
        }
        else
        {
            var shard = ShardMap.ShardOf(Encoding.UTF8.GetBytes("key" + _random.Next(Keys)), latest.ShardCount); // a shard the clients use
            var to = joined.Where(group => group != latest.Owners[shard]).ToArray();
            if (to.Length == 0)
            {
                return;
            }
            request = new ClientRequest { Op = ClientOp.ShardMove, GroupId = to[_random.Next(to.Length)], Shard = shard };
        }
        _controllerPending = request with { ClientId = _controllerSession, Sequence = ++_controllerSequence };
        _controllerResendAt = Step;
        Trace($"controller: {request.Op} group {request.GroupId} shard {request.Shard} sent");
    }
}
