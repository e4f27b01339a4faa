using System.Text;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.LocalCluster;

/// <summary>A sharded local cluster (<see cref="LocalClusterOptions.Groups"/>): ready once every data group serves.</summary>
public sealed partial class LocalCluster
{
    /// <summary>
    /// In a sharded cluster, waits until every data group serves a linearizable read (its leader elected and known):
    /// one key of each group's shards in the bootstrap configuration, read through <see cref="Client"/>.
    /// </summary>
    private async Task WaitForDataGroupsAsync(TimeSpan timeout)
    {
        if (_options.Groups == 0)
        {
            return;
        }
        using var deadline = new CancellationTokenSource(timeout);
        foreach (var key in KeyOfEveryDataGroup(_options.Groups))
        {
            await Client.GetAsync(key, timeout, deadline.Token).ConfigureAwait(false);
        }
    }

    /// <summary>For each data group 1..<paramref name="groups"/>, a key its shards hold in configuration 1.</summary>
    internal static IReadOnlyList<string> KeyOfEveryDataGroup(int groups)
    {
        var bootstrap = Bootstrap(groups);
        var keys = new Dictionary<int, string>();
        for (var i = 0; keys.Count < Math.Min(groups, bootstrap.ShardCount); i++)
        {
            var key = "ready-" + i;
            keys.TryAdd(bootstrap.OwnerOfKey(Encoding.UTF8.GetBytes(key)), key);
        }
        return [.. keys.Values];
    }

    /// <summary>The data group that holds <paramref name="key"/> in configuration 1 of a cluster of <paramref name="groups"/> data groups.</summary>
    internal static int DataGroupOf(string key, int groups) => Bootstrap(groups).OwnerOfKey(Encoding.UTF8.GetBytes(key));

    /// <summary>Configuration 1 as every node computes it (the owners do not depend on the members' addresses).</summary>
    private static ShardConfiguration Bootstrap(int groups)
    {
        var members = new[] { new ShardGroupMember(1, "p:1", "c:1") };
        return ShardController.Bootstrap(ShardMap.DefaultShardCount, [.. Enumerable.Range(1, groups).Select(group => new ShardGroup(group, members))]).Latest;
    }
}
