// Goal: the shard controller's configurations follow docs/design.md ("Sharding: configurations, migration, and why it
// is safe"): numbered one after another, every group holding ⌊N/G⌋ or ⌈N/G⌉ shards after a join or a leave, the
// fewest shards moving, the same result on every replica, and bad operations refused without a new configuration;
// method: hand-picked cases, then random sequences of joins, leaves and moves (seeded; the seed is in the message)
// checked against those properties after every step.
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.Server.Tests.Node.Sharding;

public class ShardControllerTests
{
    [Fact]
    public void FirstJoin_GivesTheGroupEveryShard()
    {
        var controller = new ShardController(8);
        var outcome = controller.Join(5, Members(5));
        Assert.True(outcome.Accepted);
        Assert.Equal(1, controller.Latest.Number);
        Assert.All(controller.Latest.Owners, owner => Assert.Equal(5, owner));
    }

    [Fact]
    public void Bootstrap_StartsAtConfigurationOne_WithEveryGroupJoinedAndTheShardsBalanced()
    {
        var controller = ShardController.Bootstrap(10, [new ShardGroup(1, Members(1)), new ShardGroup(2, Members(2)), new ShardGroup(3, Members(3))]);
        Assert.Equal(1, controller.Latest.Number);
        Assert.Empty(controller.Query(0)!.Groups);
        Assert.Equal([1, 2, 3], controller.Latest.Groups.Select(group => group.GroupId));
        var counts = controller.Latest.Owners.GroupBy(owner => owner).Select(group => group.Count()).Order().ToArray();
        Assert.Equal([3, 3, 4], counts);
    }

    [Fact]
    public void SecondJoin_MovesHalfTheShardsAndNoMore()
    {
        var controller = new ShardController(8);
        controller.Join(1, Members(1));
        controller.Join(2, Members(2));
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2], controller.Latest.Owners);
    }

    [Fact]
    public void LastGroup_CannotLeave_SoNoShardLosesItsOwner()
    {
        var controller = new ShardController(4);
        controller.Join(1, Members(1));
        controller.Join(2, Members(2));
        Assert.True(controller.Leave(1).Accepted);
        Assert.All(controller.Latest.Owners, owner => Assert.Equal(2, owner));
        var outcome = controller.Leave(2);
        Assert.False(outcome.Accepted);
        Assert.Contains("last group", outcome.Refusal);
        Assert.All(controller.Latest.Owners, owner => Assert.Equal(2, owner));
    }

    [Fact]
    public void Move_ChangesOneShardOnly_AndAMoveToTheOwnerMakesNoConfiguration()
    {
        var controller = new ShardController(4);
        controller.Join(1, Members(1));
        controller.Join(2, Members(2));
        var before = controller.Latest;
        Assert.True(controller.Move(0, 2).Accepted);
        Assert.Equal([2, 1, 2, 2], controller.Latest.Owners);
        Assert.Equal(before.Number + 1, controller.Latest.Number);
        Assert.True(controller.Move(0, 2).Accepted);
        Assert.Equal(before.Number + 1, controller.Latest.Number);
    }

    [Theory]
    [InlineData("join of a group already in")]
    [InlineData("join with id 0")]
    [InlineData("join with a bad address")]
    [InlineData("join with no members")]
    [InlineData("leave of a group not in")]
    [InlineData("move of a shard out of range")]
    [InlineData("move to a group not in")]
    public void BadOperations_AreRefusedWithoutANewConfiguration(string operation)
    {
        var controller = new ShardController(4);
        controller.Join(1, Members(1));
        var before = controller.Latest;
        var outcome = operation switch
        {
            "join of a group already in" => controller.Join(1, Members(1)),
            "join with id 0" => controller.Join(0, Members(1)),
            "join with a bad address" => controller.Join(2, [new ShardGroupMember(1, "nowhere", "h:2")]),
            "join with no members" => controller.Join(2, []),
            "leave of a group not in" => controller.Leave(2),
            "move of a shard out of range" => controller.Move(4, 1),
            _ => controller.Move(0, 2),
        };
        Assert.False(outcome.Accepted);
        Assert.NotNull(outcome.Refusal);
        Assert.Same(before, controller.Latest);
    }

    [Fact]
    public void Query_AnswersKeptConfigurations_AndForgetsTheOldest()
    {
        var controller = new ShardController(2);
        controller.Join(1, Members(1));
        for (var i = 0; i < ShardController.ConfigurationsKept; i++)
        {
            controller.Join(2, Members(2));
            controller.Leave(2);
        }
        var latest = controller.Latest.Number;
        Assert.Same(controller.Latest, controller.Query(-1));
        Assert.Equal(latest, controller.Query(latest)!.Number);
        Assert.Null(controller.Query(latest + 1));
        Assert.Null(controller.Query(latest - ShardController.ConfigurationsKept));
        Assert.Equal(latest - ShardController.ConfigurationsKept + 1, controller.Query(latest - ShardController.ConfigurationsKept + 1)!.Number);
    }

    [Fact]
    public void RandomOperations_KeepConfigurationsNumberedBalancedMinimalAndReplicable()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var shardCount = random.Next(1, 130);
            var controller = new ShardController(shardCount);
            var replica = new ShardController(shardCount);
            for (var step = 0; step < 40; step++)
            {
                var before = controller.Latest;
                var (outcome, rebalanced) = RandomOperation(random, controller, replica);
                var message = $"seed {seed}, step {step}";
                Assert.True(controller.Latest.Equals(replica.Latest), message);
                Assert.Null(controller.Latest.Problem());
                if (!outcome.Accepted || ReferenceEquals(before, controller.Latest))
                {
                    Assert.Same(before, controller.Latest);
                    continue;
                }
                Assert.Equal(before.Number + 1, controller.Latest.Number);
                if (rebalanced)
                {
                    AssertBalancedAndMinimal(before, controller.Latest, message);
                }
            }
        }
    }

    private static (ControllerOutcome Outcome, bool Rebalanced) RandomOperation(Random random, ShardController controller, ShardController replica)
    {
        var groupId = random.Next(1, 12);
        switch (random.Next(3))
        {
            case 0:
                replica.Join(groupId, Members(groupId));
                return (controller.Join(groupId, Members(groupId)), true);
            case 1:
                replica.Leave(groupId);
                return (controller.Leave(groupId), true);
            default:
                var shard = random.Next(-1, controller.Latest.ShardCount + 1);
                replica.Move(shard, groupId);
                return (controller.Move(shard, groupId), false);
        }
    }

    /// <summary>Every group holds ⌊N/G⌋ or ⌈N/G⌉ shards, none is unowned, and no more shards moved than had to.</summary>
    private static void AssertBalancedAndMinimal(ShardConfiguration before, ShardConfiguration after, string message)
    {
        var groupIds = after.Groups.Select(group => group.GroupId).ToArray();
        if (groupIds.Length == 0)
        {
            Assert.All(after.Owners, owner => Assert.Equal(0, owner));
            return;
        }
        var share = after.ShardCount / groupIds.Length;
        foreach (var groupId in groupIds)
        {
            Assert.InRange(after.ShardsOf(groupId).Count, share, share + 1);
        }
        Assert.DoesNotContain(0, after.Owners);

        // The fewest moves: at most min(held, share) shards of each remaining group can stay (min(held, share + 1) for
        // the N mod G groups given one more), so the most that stay is when the extra ones go to the groups that
        // held the most; every other shard has to move.
        var extra = after.ShardCount % groupIds.Length;
        var stayMost = groupIds.Select(groupId => before.ShardsOf(groupId).Count).OrderDescending()
            .Select((held, rank) => Math.Min(held, share + (rank < extra ? 1 : 0))).Sum();
        var required = after.ShardCount - stayMost;
        var moved = Enumerable.Range(0, after.ShardCount).Count(shard => before.Owners[shard] != after.Owners[shard]);
        Assert.True(moved == required, $"{message}: {moved} shards moved, {required} had to");
    }

    private static ShardGroupMember[] Members(int groupId) =>
        [new ShardGroupMember((groupId * 10) + 1, $"g{groupId}a:7001", $"g{groupId}a:7002"), new ShardGroupMember((groupId * 10) + 2, $"g{groupId}b:7001", $"g{groupId}b:7002")];
}
