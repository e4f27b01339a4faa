using System.Collections.Concurrent;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Client;

/// <summary>What the client keeps per replica group: its leader guess, its request runner and its sessions.</summary>
internal sealed record GroupRoute(Cluster Cluster, RequestRunner Runner, SessionPool Sessions)
{
    public int GroupId => Cluster.GroupId;
}

/// <summary>
/// Key routing in a sharded cluster (docs/design.md, "Sharding: configurations, migration, and why it is safe"): the
/// latest configuration the client knows, and a route per group. Until a server answers WrongGroup the client takes
/// the cluster for an unsharded store, and every request goes to group 0 (the one group), exactly as before sharding;
/// the first WrongGroup (a sharded cluster's group 0, the controller, serves no keys) makes it ask the controller for
/// the configuration. Then each key goes to its shard's owner: <see cref="ShardMap.ShardOf"/>, then the owner group, then
/// that group's leader, over the shared connections. Thread-safe.
/// </summary>
internal sealed class ShardRouter
{
    private readonly ConcurrentDictionary<int, Lazy<GroupRoute>> _routes = new();
    private readonly Func<int, IReadOnlyList<string>, GroupRoute> _newRoute;
    private ShardConfiguration? _configuration; // null: not (yet) known to be sharded

    public ShardRouter(GroupRoute controller, Func<int, IReadOnlyList<string>, GroupRoute> newRoute)
    {
        _routes[0] = new Lazy<GroupRoute>(controller);
        _newRoute = newRoute;
    }

    /// <summary>The latest configuration known, or null while the cluster is taken for an unsharded store.</summary>
    public ShardConfiguration? Configuration => Volatile.Read(ref _configuration);

    /// <summary>Group 0's route: the controller, or the one group of an unsharded store.</summary>
    public GroupRoute Controller => _routes[0].Value;

    /// <summary>The route of <paramref name="key"/>'s owner in the configuration known (group 0 when none, or no owner).</summary>
    public GroupRoute RouteOf(ReadOnlySpan<byte> key)
    {
        var configuration = Configuration;
        var owner = configuration?.OwnerOfKey(key) ?? 0;
        return owner == 0 ? Controller : Route(owner, configuration!);
    }

    /// <summary>Takes <paramref name="configuration"/> when it is newer than the one known; true when it was.</summary>
    public bool Learn(ShardConfiguration configuration)
    {
        while (true)
        {
            var known = Configuration;
            if (known is not null && known.Number >= configuration.Number)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _configuration, configuration, known) == known)
            {
                return true;
            }
        }
    }

    private GroupRoute Route(int groupId, ShardConfiguration configuration) =>
        _routes.GetOrAdd(groupId, id => new Lazy<GroupRoute>(() => _newRoute(id, Endpoints(id, configuration)))).Value;

    /// <summary>A group's client endpoints: its members' addresses in the configuration, else group 0's endpoints.</summary>
    private string[] Endpoints(int groupId, ShardConfiguration configuration)
    {
        var members = configuration.FindGroup(groupId)?.Members.Select(member => member.ClientAddress).Where(Client.Endpoints.IsValid).ToArray();
        return members is { Length: > 0 } ? members : [Controller.Cluster.Target];
    }
}
