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

/// <summary>
/// INTERIM configuration source, until the controller group replicates its configurations: the bootstrap configuration
/// every process computes from its flags (<see cref="ShardController.Bootstrap"/>), immutable, so safe to read from any
/// thread. The replicated controller's applied state replaces it behind <see cref="IShardConfigurationSource"/>.
/// </summary>
public sealed class BootstrapConfigurationSource(ShardController bootstrap) : IShardConfigurationSource
{
    /// <inheritdoc/>
    public ShardConfiguration Latest => bootstrap.Latest;

    /// <inheritdoc/>
    public ShardConfiguration? TryGet(long number) => bootstrap.Query(number);
}
