using KvRaft.Protocol.Sharding;

namespace KvRaft.Server.Node.Sharding;

/// <summary>
/// A replica's place in a sharded cluster (docs/design.md, "Sharding: configurations, migration, and why it is safe"):
/// its group (0, the controller, serves no keys; 1..G the data groups) and its process's configurations. A one-group
/// store's node has none (<see cref="KvNode.Routing"/> null).
/// </summary>
public sealed class GroupRouting(int groupId, IShardConfigurationSource configurations)
{
    /// <summary>The group this replica belongs to.</summary>
    public int GroupId { get; } = groupId;

    /// <summary>The configurations of the process's controller replica.</summary>
    public IShardConfigurationSource Configurations { get; } = configurations;

    /// <summary>True for the controller group: it answers ShardQuery and refuses every key.</summary>
    public bool IsController => GroupId == 0;

    /// <summary>The configuration every group starts at (<see cref="ShardController.Bootstrap"/>).</summary>
    public const long BootstrapNumber = 1;
}
