// Goal: the shard states of docs/design.md ("Sharding: configurations, migration, and why it is safe") keep a shard
// served by at most one group at any moment and lose or repeat no write across any number of moves; method: a model
// of several groups (each a GroupShards) and the controller, driven by random interleavings (seeded; the seed is in
// the message) of controller changes, reconfigurations, writes, pulls, drops and drop confirmations, where every
// write to a shard adds one to that shard's counter at the one group serving it; after every step at most one group
// serves each shard, and at the end every shard's counter at its owner equals the writes acknowledged for it. The
// same model with a planted rule (a group serves a shard it is still pulling) must be caught.
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.Server.Tests.Node.Sharding;

public class MigrationModelTests
{
    private const int GroupCount = 4, ShardCount = 12;

    [Fact]
    public void RandomMoves_KeepOneServerPerShard_AndEveryAcknowledgedWrite()
    {
        for (var seed = 0; seed < 250; seed++)
        {
            var violation = new Model(seed, servePulling: false).Run(steps: 600);
            Assert.True(violation is null, $"seed {seed}: {violation}");
        }
    }

    [Fact]
    public void PlantedServingOfAPullingShard_IsCaughtByTheWriteCount()
    {
        var caught = Enumerable.Range(0, 400).Select(seed => new Model(seed, servePulling: true).Run(steps: 600)).FirstOrDefault(violation => violation is not null);
        Assert.NotNull(caught);
        Assert.Contains("were acknowledged", caught);
    }

    [Fact]
    public void Reconfigure_SkipsNoConfiguration_AndWaitsUntilSettled()
    {
        var controller = new ShardController(4);
        var one = new GroupShards(1, 4);
        var two = new GroupShards(2, 4);
        controller.Join(1, Members(1));
        controller.Join(2, Members(2));
        Assert.False(one.Reconfigure(controller.Query(2)!));
        Assert.True(one.Reconfigure(controller.Query(1)!));
        Assert.All(Enumerable.Range(0, 4), shard => Assert.Equal(ShardState.Serving, one.StateOf(shard)));
        Assert.True(one.Reconfigure(controller.Query(2)!));
        Assert.Equal([ShardState.Serving, ShardState.Serving, ShardState.Offering, ShardState.Offering], Enumerable.Range(0, 4).Select(one.StateOf));
        controller.Leave(2);
        Assert.False(one.Reconfigure(controller.Query(3)!));
        Assert.True(two.Reconfigure(controller.Query(1)!) && two.Reconfigure(controller.Query(2)!));
        Assert.Equal(ShardState.Pulling, two.StateOf(2));
        Assert.Equal(1, two.PullSource(2));
        Assert.Equal(PullAnswer.NotYet, one.AnswerPull(2, 3));
        Assert.Equal(PullAnswer.Data, one.AnswerPull(2, 2));
        Assert.Equal(PullAnswer.Gone, one.AnswerPull(0, 2));
    }

    [Fact]
    public void RepeatedOrEarlyEntries_ChangeNothing()
    {
        var controller = new ShardController(2);
        var one = new GroupShards(1, 2);
        var two = new GroupShards(2, 2);
        controller.Join(1, Members(1));
        controller.Join(2, Members(2));
        one.Reconfigure(controller.Query(1)!);
        one.Reconfigure(controller.Query(2)!);
        two.Reconfigure(controller.Query(1)!);
        two.Reconfigure(controller.Query(2)!);
        Assert.False(two.DropConfirmed(1, 2));
        Assert.False(two.Installed(1, 1));
        Assert.True(two.Installed(1, 2));
        Assert.False(two.Installed(1, 2));
        Assert.True(one.Dropped(1, 2));
        Assert.False(one.Dropped(1, 2));
        Assert.Equal(PullAnswer.Gone, one.AnswerPull(1, 2));
        Assert.True(two.DropConfirmed(1, 2));
        Assert.True(one.Settled && two.Settled);
    }

    private static ShardGroupMember[] Members(int groupId) => [new ShardGroupMember(groupId, $"g{groupId}:1", $"g{groupId}:2")];

    /// <summary>Groups, the controller and the data: <c>_data[g][s]</c> is shard s's write count as group g holds it.</summary>
    private sealed class Model(int seed, bool servePulling)
    {
        private readonly Random _random = new(seed);
        private readonly ShardController _controller = new(ShardCount);
        private readonly GroupShards[] _groups = [.. Enumerable.Range(1, GroupCount).Select(id => new GroupShards(id, ShardCount))];
        private readonly long[][] _data = [.. Enumerable.Range(0, GroupCount).Select(_ => new long[ShardCount])];
        private readonly long[] _acknowledged = new long[ShardCount];

        public string? Run(int steps)
        {
            for (var step = 0; step < steps; step++)
            {
                Step(_random.Next(10));
                var violation = OneServerPerShard();
                if (violation is not null)
                {
                    return $"step {step}: {violation}";
                }
            }
            for (var round = 0; round < 100 && !_groups.All(group => group.Settled && group.Current.Number == _controller.Latest.Number); round++)
            {
                foreach (var kind in new[] { 1, 3, 4 })
                {
                    foreach (var group in _groups)
                    {
                        for (var shard = 0; shard < ShardCount; shard++)
                        {
                            Act(kind, group, shard);
                        }
                    }
                }
            }
            return AllWritesKept();
        }

        private void Step(int kind)
        {
            if (kind == 0)
            {
                var groupId = _random.Next(1, GroupCount + 1);
                _ = _random.Next(3) switch
                {
                    0 => _controller.Join(groupId, Members(groupId)),
                    1 => _controller.Leave(groupId),
                    _ => _controller.Move(_random.Next(ShardCount), groupId),
                };
                return;
            }
            Act(kind, _groups[_random.Next(GroupCount)], _random.Next(ShardCount));
        }

        private void Act(int kind, GroupShards group, int shard)
        {
            var number = group.Current.Number;
            switch (kind)
            {
                case 1:
                    var next = _controller.Query(number + 1);
                    if (next is not null)
                    {
                        group.Reconfigure(next);
                    }
                    break;
                case 2 or 6 or 7 or 8 or 9:
                    if (Serves(group, shard))
                    {
                        _data[group.GroupId - 1][shard]++;
                        _acknowledged[shard]++;
                    }
                    break;
                case 3:
                    if (group.StateOf(shard) == ShardState.Pulling && Group(group.PullSource(shard)).AnswerPull(shard, number) == PullAnswer.Data)
                    {
                        _data[group.GroupId - 1][shard] = _data[group.PullSource(shard) - 1][shard];
                        group.Installed(shard, number);
                    }
                    break;
                case 4:
                    if (group.StateOf(shard) == ShardState.WaitingForDrop)
                    {
                        var source = Group(group.Previous.Owners[shard]);
                        if (source.Dropped(shard, number))
                        {
                            _data[source.GroupId - 1][shard] = 0;
                        }
                        if (source.AnswerPull(shard, number) == PullAnswer.Gone)
                        {
                            group.DropConfirmed(shard, number);
                        }
                    }
                    break;
                default:
                    break;
            }
        }

        private bool Serves(GroupShards group, int shard) => group.Serves(shard) || (servePulling && group.StateOf(shard) == ShardState.Pulling);

        private GroupShards Group(int groupId) => _groups[groupId - 1];

        private string? OneServerPerShard()
        {
            for (var shard = 0; shard < ShardCount; shard++)
            {
                var servers = _groups.Where(group => group.Serves(shard)).Select(group => group.GroupId).ToArray();
                if (servers.Length > 1)
                {
                    return $"shard {shard} served by groups {string.Join(", ", servers)}";
                }
            }
            return null;
        }

        private string? AllWritesKept()
        {
            for (var shard = 0; shard < ShardCount; shard++)
            {
                var owner = _controller.Latest.Owners[shard];
                var held = owner == 0 ? 0 : _data[owner - 1][shard];
                if (owner != 0 && !Group(owner).Serves(shard))
                {
                    return $"shard {shard} not served by its owner {owner} after every move finished: "
                        + string.Join("; ", _groups.Select(group => $"group {group.GroupId} at {group.Current.Number} {group.StateOf(shard)}")) + $"; latest {_controller.Latest.Number}; owners by configuration: "
                        + string.Join(" ", Enumerable.Range(0, (int)_controller.Latest.Number + 1).Select(n => _controller.Query(n)!.Owners[shard]))
                        + "; unsettled: " + string.Join(" ", _groups.Select(group => string.Join(",", Enumerable.Range(0, ShardCount).Select(group.StateOf))));
                }
                if (held != _acknowledged[shard])
                {
                    return $"shard {shard} served by group {owner} holds {held} writes, {_acknowledged[shard]} were acknowledged";
                }
            }
            return null;
        }
    }
}
