// Goal: the membership faults of a schedule (add-learner, promote, remove-follower, remove-leader, replace-follower),
// applied through the client protocol to a local cluster with spare node slots, timed like the kills.
using KvRaft.Protocol;

namespace KvRaft.Loadgen;

public sealed partial class FaultInjector
{
    /// <summary>A learner is promoted once its match index is within this many entries of the leader's last index.</summary>
    internal const long CatchUpDistanceEntries = 500;

    private static readonly TimeSpan CatchUpPatience = TimeSpan.FromSeconds(30);

    private async Task<string> ApplyMembershipAsync(FaultKind kind, CancellationToken cancellation)
    {
        var name = FaultPlan.NameOf(kind);
        switch (kind)
        {
            case FaultKind.AddLearner:
                _actedAt = Clock.NowNanoseconds();
                var added = await cluster.AddNodeAsync(cancellation).ConfigureAwait(false);
                return $"{name} n{added}";
            case FaultKind.Promote:
                var learner = await NewestLearnerAsync(cancellation).ConfigureAwait(false);
                await PromoteWhenCaughtUpAsync(learner, timed: true, cancellation).ConfigureAwait(false);
                return $"{name} n{learner}";
            case FaultKind.RemoveFollower or FaultKind.RemoveLeader:
                var removed = kind == FaultKind.RemoveLeader
                    ? await PickAsync(leader: true, cancellation).ConfigureAwait(false)
                    : await PickFollowingVoterAsync(cancellation).ConfigureAwait(false);
                _actedAt = Clock.NowNanoseconds();
                await cluster.Client.RemoveMemberAsync(removed, cancellationToken: cancellation).ConfigureAwait(false);
                _tookEffectAt = Clock.NowNanoseconds(); // applied: a leader removing itself steps down now
                await cluster.RemoveAsync(removed, StopGrace, cancellation).ConfigureAwait(false); // answered at once, then the stop
                return $"{name} n{removed}";
            default:
                return await ReplaceFollowerAsync(name, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Kill a following voter, wipe its data, remove it, add a node with a new id, promote it once caught up.</summary>
    private async Task<string> ReplaceFollowerAsync(string name, CancellationToken cancellation)
    {
        var dead = await PickFollowingVoterAsync(cancellation).ConfigureAwait(false);
        _actedAt = Clock.NowNanoseconds();
        await cluster.KillAsync(dead).ConfigureAwait(false);
        _tookEffectAt = Clock.NowNanoseconds();
        cluster.WipeData(dead);
        await cluster.RemoveAsync(dead, StopGrace, cancellation).ConfigureAwait(false);
        var fresh = await cluster.AddNodeAsync(cancellation).ConfigureAwait(false);
        await PromoteWhenCaughtUpAsync(fresh, timed: false, cancellation).ConfigureAwait(false); // timed from the kill
        return $"{name} n{dead}->n{fresh} (voter after {(Clock.NowNanoseconds() - _actedAt.Value) / 1e9:0.0} s)";
    }

    /// <summary>Waits until <paramref name="learner"/> has caught up, then promotes it; <paramref name="timed"/>: the step is timed from the promotion.</summary>
    private async Task PromoteWhenCaughtUpAsync(int learner, bool timed, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(CatchUpPatience);
        while (true)
        {
            var listing = await cluster.Client.MemberListAsync(cancellationToken: deadline.Token).ConfigureAwait(false);
            if (listing.Members.FirstOrDefault(member => member.NodeId == learner).MatchIndex >= listing.LastIndex - CatchUpDistanceEntries)
            {
                break;
            }

            await Task.Delay(50, deadline.Token).ConfigureAwait(false); // polling the leader's view of the learner: no event to wait on
        }
        var promoting = Clock.NowNanoseconds();
        await cluster.Client.PromoteLearnerAsync(learner, cancellationToken: cancellation).ConfigureAwait(false);
        if (timed)
        {
            (_actedAt, _tookEffectAt) = (promoting, Clock.NowNanoseconds());
        }
    }

    /// <summary>A running voter that does not lead (the first by id).</summary>
    private async Task<int> PickFollowingVoterAsync(CancellationToken cancellation)
    {
        var leader = await PickAsync(leader: true, cancellation).ConfigureAwait(false);
        var listing = await cluster.Client.MemberListAsync(cancellationToken: cancellation).ConfigureAwait(false);
        int[] voters = [.. listing.Members.Where(member => (member.Roles & MemberRoles.Voter) != 0).Select(member => member.NodeId)
            .Where(id => id != leader && cluster.NodeIds.Contains(id) && cluster.IsRunning(id) && !_paused.Contains(id) && !_isolated.Contains(id))];
        return voters.Length > 0 ? voters[0] : throw new InvalidOperationException("no running voter besides the leader");
    }

    /// <summary>
    /// The learner with the highest id: the one added last. Asked again for a while when the leader lists none: a leader
    /// elected since the addition lists the configuration it has applied, which may not hold the learner yet.
    /// </summary>
    private async Task<int> NewestLearnerAsync(CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(CatchUpPatience);
        try
        {
            while (true)
            {
                var listing = await cluster.Client.MemberListAsync(cancellationToken: deadline.Token).ConfigureAwait(false);
                var id = listing.Members.Where(member => member.Roles == MemberRoles.Learner).Select(member => member.NodeId).DefaultIfEmpty(0).Max();
                if (id > 0)
                {
                    return id;
                }

                await Task.Delay(50, deadline.Token).ConfigureAwait(false); // polling the leader's configuration: no event to wait on
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new InvalidOperationException("no learner to promote");
        }
    }
}
