namespace KvRaft.Server.Node.Sharding;

/// <summary>
/// The deterministic rebalance of a configuration change (docs/design.md, "Sharding: configurations, migration, and
/// why it is safe"): every group ends with ⌊N/G⌋ or ⌈N/G⌉ of the N shards, and the fewest shards change owner. The
/// extra shards go to the groups that hold the most already (ties: the lower id); a group over its share gives up its
/// highest-numbered shards; free shards (unowned, or owned by a group that left) go, lowest first, to the groups under
/// their share, lowest id first. Every replica computes the same owners from the same input.
/// </summary>
public static class ShardRebalancer
{
    /// <summary>The owners after rebalancing <paramref name="owners"/> over <paramref name="groupIds"/> (distinct, positive).</summary>
    public static int[] Rebalance(IReadOnlyList<int> owners, IReadOnlyCollection<int> groupIds)
    {
        Invariant.True(owners.Count > 0, owners.Count);
        var result = owners.ToArray();
        if (groupIds.Count == 0)
        {
            Array.Clear(result);
            return result;
        }

        var held = new SortedDictionary<int, List<int>>();
        foreach (var groupId in groupIds)
        {
            Invariant.True(groupId > 0 && held.TryAdd(groupId, []), "group ids positive and distinct");
        }
        var free = new List<int>();
        for (var shard = 0; shard < result.Length; shard++)
        {
            (held.TryGetValue(result[shard], out var shards) ? shards : free).Add(shard);
        }

        var targets = Targets(held, result.Length);
        foreach (var (groupId, shards) in held)
        {
            while (shards.Count > targets[groupId])
            {
                free.Add(shards[^1]);
                shards.RemoveAt(shards.Count - 1);
            }
        }

        free.Sort();
        var next = 0;
        foreach (var (groupId, shards) in held)
        {
            while (shards.Count < targets[groupId])
            {
                result[free[next++]] = groupId;
                shards.Add(-1);
            }
        }
        Invariant.True(next == free.Count, "every free shard found an owner");
        return result;
    }

    /// <summary>Each group's share: ⌊N/G⌋, one more for the N mod G groups holding the most (ties: lower id).</summary>
    private static Dictionary<int, int> Targets(SortedDictionary<int, List<int>> held, int shardCount)
    {
        var share = shardCount / held.Count;
        var extra = shardCount % held.Count;
        var targets = new Dictionary<int, int>();
        var rank = 0;
        foreach (var groupId in held.OrderByDescending(pair => pair.Value.Count).ThenBy(pair => pair.Key).Select(pair => pair.Key))
        {
            targets[groupId] = share + (rank++ < extra ? 1 : 0);
        }
        return targets;
    }
}
