// Goal: wait for the cluster states the scenarios need (a leader among some nodes, a node caught up); method: poll node status until the condition holds or the step deadline passes.
using KvRaft.Protocol;

namespace KvRaft.Server.Tests.Cluster;

internal sealed partial class ScenarioCluster
{
    /// <summary>
    /// Waits until one of <paramref name="among"/> (default: every node) reports itself leader and a
    /// majority of the cluster's nodes among them report the same leader and term; returns its id.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(IReadOnlyCollection<int>? among = null, TimeSpan? timeout = null)
    {
        among ??= [.. Ids];
        var leader = 0;
        await Eventually.Until(async () =>
        {
            var statuses = await Task.WhenAll(among.Select(StatusAsync)).ConfigureAwait(false);
            foreach (var status in statuses.OfType<NodeStatus>().Where(s => s.Role == NodeRole.Leader).OrderByDescending(s => s.Term))
            {
                var followers = statuses.OfType<NodeStatus>().Count(s => s.Term == status.Term && s.LeaderKnown && s.LeaderId == status.NodeId);
                if (followers + (status.LeaderId == status.NodeId ? 0 : 1) > NodeCount / 2)
                {
                    leader = status.NodeId;
                    return true;
                }
            }
            return false;
        }, $"a leader among nodes {string.Join(',', among)} that a majority follows", timeout).ConfigureAwait(false);
        return leader;
    }

    /// <summary>Waits until node <paramref name="id"/> has applied everything the leader <paramref name="leader"/> had committed when the wait began.</summary>
    public async Task WaitUntilCaughtUpAsync(int id, int leader)
    {
        long commit = 0;
        await Eventually.Until(async () => (await StatusAsync(leader).ConfigureAwait(false)) is { } status && (commit = status.CommitIndex) > 0,
            $"the commit index of leader {leader}").ConfigureAwait(false);
        await Eventually.Until(async () => (await StatusAsync(id).ConfigureAwait(false)) is { } status && status.AppliedIndex >= commit,
            $"node {id} applies up to index {commit}").ConfigureAwait(false);
    }
}
