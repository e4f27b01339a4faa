using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Client;

/// <summary>The shard controller of a sharded cluster (group 0): its configurations, and the changes an operator makes.</summary>
public sealed partial class KvClient
{
    /// <summary>Reads shard configuration <paramref name="number"/> (−1: the latest) from the controller, linearizably.</summary>
    /// <param name="number">The configuration's number, or −1 for the latest.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvInvalidArgumentException">The cluster is not sharded, or it has no such configuration (not made yet, or forgotten).</exception>
    /// <exception cref="KvClusterUnavailableException">No controller leader could be reached in time.</exception>
    public async Task<ShardConfiguration> QueryShardsAsync(long number = -1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (number < -1)
        {
            throw new KvInvalidArgumentException($"configuration {number}: a configuration number is 0 or more, or -1 for the latest");
        }
        var response = await ReadAsync(new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = number }, timeout, cancellationToken).ConfigureAwait(false);
        var configuration = response.Configuration ?? throw new KvNotAppliedException("the controller answered a shard query without a configuration");
        if (number == -1)
        {
            _router.Learn(configuration); // keys are routed by the newest configuration the client has seen
        }
        return configuration;
    }

    /// <summary>Has group <paramref name="groupId"/> (hosted by the processes, not in the configuration) join, exactly once; the shards are rebalanced.</summary>
    /// <param name="groupId">The data group: 1 to <see cref="ProtocolLimits.GroupsMax"/> − 1.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of the controller's configuration after the join.</returns>
    /// <exception cref="KvInvalidArgumentException">Refused by the controller (the message says why: already joined, not hosted), or the cluster is not sharded.</exception>
    /// <exception cref="KvOutcomeUnknownException">May have been applied, or may still be.</exception>
    public Task<long> JoinGroupAsync(int groupId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ControllerWriteAsync(new ClientRequest { Op = ClientOp.GroupJoin, GroupId = GroupId(groupId) }, timeout, cancellationToken);

    /// <summary>Has group <paramref name="groupId"/> leave the configuration, exactly once; its shards go to the other groups.</summary>
    /// <param name="groupId">The data group: 1 to <see cref="ProtocolLimits.GroupsMax"/> − 1.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of the controller's configuration after the leave.</returns>
    /// <exception cref="KvInvalidArgumentException">Refused by the controller (not in the configuration, or the last group), or the cluster is not sharded.</exception>
    /// <exception cref="KvOutcomeUnknownException">May have been applied, or may still be.</exception>
    public Task<long> LeaveGroupAsync(int groupId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ControllerWriteAsync(new ClientRequest { Op = ClientOp.GroupLeave, GroupId = GroupId(groupId) }, timeout, cancellationToken);

    /// <summary>Gives shard <paramref name="shard"/> to group <paramref name="groupId"/>, exactly once (no new configuration when it owns it already).</summary>
    /// <param name="shard">The shard: 0 to the configuration's shard count − 1.</param>
    /// <param name="groupId">A data group of the configuration.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of the controller's configuration after the move.</returns>
    /// <exception cref="KvInvalidArgumentException">Refused by the controller (no such shard, or the group has not joined), or the cluster is not sharded.</exception>
    /// <exception cref="KvOutcomeUnknownException">May have been applied, or may still be.</exception>
    public Task<long> MoveShardAsync(int shard, int groupId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (shard is < 0 or >= ShardMap.ShardCountMax)
        {
            throw new KvInvalidArgumentException($"shard {shard}: shards are numbered from 0, fewer than {ShardMap.ShardCountMax}");
        }
        return ControllerWriteAsync(new ClientRequest { Op = ClientOp.ShardMove, Shard = shard, GroupId = GroupId(groupId) }, timeout, cancellationToken);
    }

    private async Task<long> ControllerWriteAsync(ClientRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var response = await WriteAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return response.ConfigurationNumber;
    }

    private static int GroupId(int groupId) => groupId is > 0 and < ProtocolLimits.GroupsMax
        ? groupId
        : throw new KvInvalidArgumentException($"group {groupId}: a data group's id is 1 to {ProtocolLimits.GroupsMax - 1}");
}
