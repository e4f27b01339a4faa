// Goal: tell a session lost in a migration from a session that never had to be where a client sent it; method: from the
// controller's configurations, the groups whose sessions a data group surely holds at configuration c (each shard it
// pulled brought the previous owner's whole session table, as that owner held it once it reached that configuration);
// a SessionExpired for a session of such a group is a violation, any other is what KvClient handles (a write that was
// surely not applied moves to a session of the group it is at; one that may have been applied ends of unknown outcome).
using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Testing.Groups;

internal sealed partial class MigrationWorkload
{
    private readonly Dictionary<long, ShardConfiguration> _configurations = []; // immutable once made: cached by number
    private readonly Dictionary<(int Group, long Number), HashSet<int>> _sessionsHeld = [];

    /// <summary>Session switches after a SessionExpired that was no violation (the write surely not applied).</summary>
    public int SessionSwitches { get; private set; }

    private void OnSessionExpired(Client client, ClientRequest request, string key)
    {
        var registeredIn = client.Sessions.First(session => session.Value.Session == request.ClientId).Key;
        var shard = ShardMap.ShardOf(request.Key.Span, client.Configuration!.ShardCount);
        var (number, held) = SessionsSurelyHeld(client.Group, shard);
        if (held.Contains(registeredIn))
        {
            _sessionsNotMoved.Add($"{key} (shard {shard}): session {request.ClientId} (registered in group {registeredIn}, sequence {request.Sequence}) unknown to group " +
                $"{client.Group} at step {cluster.Step}, which holds the sessions of groups {string.Join(",", held.Order())} at configuration {number}");
            Record(client, key, OperationStatus.Unknown);
            client.Pending = null;
            return;
        }
        if (client.MaySent)
        {
            Record(client, key, OperationStatus.Unknown); // an earlier attempt may still be applied where the session is known
            client.Pending = null;
            return;
        }
        var (session, sequence) = client.Sessions[client.Group]; // surely not applied: moved to a session of the group it is at
        client.Sessions[client.Group] = (session, sequence + 1);
        client.Pending = request with { ClientId = session, Sequence = sequence + 1 };
        client.ResendAt = cluster.Step + 1;
        SessionSwitches++;
    }

    /// <summary>
    /// The groups whose sessions <paramref name="group"/> surely holds where it served <paramref name="shard"/>: at the
    /// lowest configuration a running replica of it is at (a lower bound of the one it answered at), with the previous
    /// owner's sessions when the shard came to it in that very configuration.
    /// </summary>
    private (long Number, HashSet<int> Held) SessionsSurelyHeld(int group, int shard)
    {
        var number = cluster.Processes.Where(process => process.Replicas is not null).Min(process => process.Replicas![group].Shards!.Current.Number);
        var held = new HashSet<int>(HeldAt(group, number));
        if (number >= 2 && Configuration(number).Owners[shard] == group && Configuration(number - 1).Owners[shard] is var previous && previous != group)
        {
            held.UnionWith(HeldAt(previous, number));
        }
        return (number, held);
    }

    /// <summary>
    /// The groups whose sessions <paramref name="group"/> surely holds once at configuration <paramref name="number"/>:
    /// its own, and for every shard it pulled in an earlier configuration k, the previous owner's as held at k (a group
    /// reaches k + 1 only once every pull of k is installed; the owner exports once at k).
    /// </summary>
    private HashSet<int> HeldAt(int group, long number)
    {
        if (_sessionsHeld.TryGetValue((group, number), out var known))
        {
            return known;
        }
        var held = number <= 2 ? [group] : new HashSet<int>(HeldAt(group, number - 1));
        if (number > 2)
        {
            var (before, pulled) = (Configuration(number - 2), Configuration(number - 1));
            for (var shard = 0; shard < pulled.ShardCount; shard++)
            {
                if (pulled.Owners[shard] == group && before.Owners[shard] != group)
                {
                    held.UnionWith(HeldAt(before.Owners[shard], number - 1));
                }
            }
        }
        _sessionsHeld[(group, number)] = held;
        return held;
    }

    /// <summary>Keeps the newest configuration (called every step: older ones may be forgotten by a restarted controller replica).</summary>
    private void CacheLatestConfiguration()
    {
        var latest = cluster.LatestConfiguration;
        _configurations.TryAdd(latest.Number, latest);
    }

    private ShardConfiguration Configuration(long number)
    {
        if (!_configurations.TryGetValue(number, out var configuration))
        {
            configuration = cluster.Processes.Select(process => process.Controller!.TryGet(number)).First(found => found is not null)!;
            _configurations[number] = configuration;
        }
        return configuration;
    }
}
