using KvRaft.Protocol.Sharding;

namespace KvRaft.Server.Node.Sharding;

/// <summary>The outcome of a controller operation: the configuration it led to, or why it was refused.</summary>
public readonly record struct ControllerOutcome(ShardConfiguration? Configuration, string? Refusal)
{
    /// <summary>True when the operation was accepted (a new configuration, or none needed).</summary>
    public bool Accepted => Refusal is null;
}

/// <summary>
/// The shard controller's state machine (docs/design.md, "Sharding: configurations, migration, and why it is safe"):
/// the numbered sequence of configurations that group 0 replicates. Each operation is applied from a log entry, in log
/// order, on every replica, so it is deterministic and validates its input (refusals are answers, never assertions).
/// Join and Leave rebalance (<see cref="ShardRebalancer"/>); Move changes one shard's owner and nothing else. Once a
/// group has joined every shard has an owner: the last group cannot leave (a shard without an owner would have its
/// data stranded, and the next owner would start it empty).
/// </summary>
public sealed class ShardController
{
    /// <summary>Configurations kept for queries; older ones are forgotten (a group that far behind asks for the latest).</summary>
    public const int ConfigurationsKept = 1024;

    // The kept configurations, oldest first. Invariant: non-empty, at most ConfigurationsKept, numbers consecutive,
    // each sound (ShardConfiguration.Problem is null) and with the same shard count.
    private readonly List<ShardConfiguration> _configurations;

    /// <summary>A controller at configuration 0 of <paramref name="shardCount"/> shards.</summary>
    public ShardController(int shardCount) => _configurations = [ShardConfiguration.Initial(shardCount)];

    /// <summary>A controller restored from its kept configurations (a snapshot), oldest first.</summary>
    public ShardController(IReadOnlyList<ShardConfiguration> configurations)
    {
        Invariant.True(configurations.Count is > 0 and <= ConfigurationsKept, configurations.Count);
        for (var i = 0; i < configurations.Count; i++)
        {
            Invariant.True(configurations[i].Problem() is null && configurations[i].ShardCount == configurations[0].ShardCount, i);
            Invariant.True(i == 0 || configurations[i].Number == configurations[i - 1].Number + 1, i);
        }
        _configurations = [.. configurations];
    }

    /// <summary>
    /// The controller of a new sharded cluster: configuration 0 and configuration 1, in which every group of
    /// <paramref name="groups"/> (ascending ids) has joined and the shards are balanced over them
    /// (<see cref="ShardRebalancer"/>). Every process computes it from its start-up flags, as the first Raft membership
    /// comes from <c>--peers</c>; the groups start at configuration 1 with their shards serving (nobody owned them).
    /// </summary>
    public static ShardController Bootstrap(int shardCount, IReadOnlyList<ShardGroup> groups)
    {
        Invariant.True(groups.Count > 0, groups.Count);
        var initial = ShardConfiguration.Initial(shardCount);
        var first = new ShardConfiguration
        {
            Number = 1,
            Owners = ShardRebalancer.Rebalance(initial.Owners, groups.Select(group => group.GroupId).ToArray()),
            Groups = [.. groups],
        };
        Invariant.True(first.Problem() is null, first.Problem() ?? "");
        return new ShardController([initial, first]);
    }

    /// <summary>The newest configuration.</summary>
    public ShardConfiguration Latest => _configurations[^1];

    /// <summary>The kept configurations, oldest first (what a snapshot of the controller holds).</summary>
    public IReadOnlyList<ShardConfiguration> Kept => _configurations;

    /// <summary>Configuration <paramref name="number"/> (−1: the latest); null when not made yet or forgotten.</summary>
    public ShardConfiguration? Query(long number)
    {
        if (number == -1)
        {
            return Latest;
        }
        var offset = number - _configurations[0].Number;
        return offset >= 0 && offset < _configurations.Count ? _configurations[(int)offset] : null;
    }

    /// <summary>Adds group <paramref name="groupId"/> with <paramref name="members"/> and rebalances.</summary>
    public ControllerOutcome Join(int groupId, IReadOnlyList<ShardGroupMember> members)
    {
        if (groupId <= 0 || Latest.FindGroup(groupId) is not null)
        {
            return Refuse($"group {groupId} cannot join: it is already in configuration {Latest.Number}, or its id is not positive");
        }
        if (Latest.Groups.Count >= ShardConfiguration.GroupsMax || members.Count is 0 or > ShardConfiguration.MembersPerGroupMax)
        {
            return Refuse($"group {groupId} cannot join: at most {ShardConfiguration.GroupsMax} groups of 1 to {ShardConfiguration.MembersPerGroupMax} members");
        }
        var groups = Latest.Groups.Append(new ShardGroup(groupId, [.. members])).OrderBy(group => group.GroupId).ToArray();
        return Next(ShardRebalancer.Rebalance(Latest.Owners, groups.Select(group => group.GroupId).ToArray()), groups);
    }

    /// <summary>Removes group <paramref name="groupId"/> and gives its shards to the others.</summary>
    public ControllerOutcome Leave(int groupId)
    {
        if (Latest.FindGroup(groupId) is null)
        {
            return Refuse($"group {groupId} cannot leave: it is not in configuration {Latest.Number}");
        }
        if (Latest.Groups.Count == 1)
        {
            // Its shards would have no owner: their data would stay frozen at it and the next group would start them empty.
            return Refuse($"group {groupId} cannot leave: it is the last group, and its shards would have no owner");
        }
        var groups = Latest.Groups.Where(group => group.GroupId != groupId).ToArray();
        return Next(ShardRebalancer.Rebalance(Latest.Owners, groups.Select(group => group.GroupId).ToArray()), groups);
    }

    /// <summary>Gives shard <paramref name="shard"/> to group <paramref name="groupId"/>; no new configuration if it owns it already.</summary>
    public ControllerOutcome Move(int shard, int groupId)
    {
        if (shard < 0 || shard >= Latest.ShardCount)
        {
            return Refuse($"shard {shard} does not exist: the shards are 0 to {Latest.ShardCount - 1}");
        }
        if (Latest.FindGroup(groupId) is null)
        {
            return Refuse($"shard {shard} cannot move to group {groupId}: it has not joined (configuration {Latest.Number}); join it first");
        }
        if (Latest.Owners[shard] == groupId)
        {
            return new ControllerOutcome(Latest, null);
        }
        var owners = Latest.Owners.ToArray();
        owners[shard] = groupId;
        return Next(owners, Latest.Groups);
    }

    private ControllerOutcome Next(int[] owners, IReadOnlyList<ShardGroup> groups)
    {
        var next = new ShardConfiguration { Number = Latest.Number + 1, Owners = owners, Groups = groups };
        var problem = next.Problem();
        if (problem is not null)
        {
            return Refuse(problem);
        }
        _configurations.Add(next);
        if (_configurations.Count > ConfigurationsKept)
        {
            _configurations.RemoveAt(0);
        }
        return new ControllerOutcome(next, null);
    }

    private static ControllerOutcome Refuse(string reason) => new(null, reason);
}
