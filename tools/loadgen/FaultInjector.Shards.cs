// Goal: the shard faults of a schedule (move-shard, rebalance), applied through the controller of a sharded local
// cluster: they change configurations only (the groups following them, moving the data, is the migration's work).
namespace KvRaft.Loadgen;

public sealed partial class FaultInjector
{
    private Random? _shardRandom;
    private int _leftGroup; // the group the last rebalance had leave (0: none; the next rebalance has it join again)

    private async Task<string> ApplyShardsAsync(FaultKind kind, CancellationToken cancellation)
    {
        var name = FaultPlan.NameOf(kind);
        var configuration = await cluster.Client.QueryShardsAsync(cancellationToken: cancellation).ConfigureAwait(false);
        if (kind == FaultKind.MoveShard)
        {
            _shardRandom ??= new Random(seed);
            var shard = _shardRandom.Next(configuration.ShardCount);
            var owner = configuration.Owners[shard];
            var groups = configuration.Groups.Select(group => group.GroupId).ToList();
            if (groups.Count < 2)
            {
                return $"{name} {shard}: g{owner} is the only group, nothing to move to";
            }
            var target = groups[(groups.IndexOf(owner) + 1) % groups.Count]; // the next group of the configuration
            _actedAt = Clock.NowNanoseconds();
            var moved = await cluster.Client.MoveShardAsync(shard, target, cancellationToken: cancellation).ConfigureAwait(false);
            _tookEffectAt = Clock.NowNanoseconds();
            return $"{name} {shard}: g{owner}->g{target} (configuration {moved})";
        }
        if (_leftGroup != 0)
        {
            var rejoining = _leftGroup;
            _actedAt = Clock.NowNanoseconds();
            var joined = await cluster.Client.JoinGroupAsync(rejoining, cancellationToken: cancellation).ConfigureAwait(false);
            _tookEffectAt = Clock.NowNanoseconds();
            _leftGroup = 0;
            return $"{name}: g{rejoining} joined (configuration {joined})";
        }
        if (configuration.Groups.Count < 2)
        {
            return $"{name}: one group only, none may leave";
        }
        var busiest = configuration.Groups.Select(group => group.GroupId)
            .OrderByDescending(id => configuration.ShardsOf(id).Count).ThenBy(id => id).First();
        _actedAt = Clock.NowNanoseconds();
        var left = await cluster.Client.LeaveGroupAsync(busiest, cancellationToken: cancellation).ConfigureAwait(false);
        _tookEffectAt = Clock.NowNanoseconds();
        _leftGroup = busiest;
        return $"{name}: g{busiest} left (configuration {left})";
    }
}
