// Goal: the common start of the migration tests over a GroupedCluster: every group elected and in configuration 1, one
// session registered per group (the controller 0 and the data groups), writes sent under it sequence by sequence;
// method: requests through GroupedCluster.Call.
using KvRaft.Protocol;
using KvRaft.Testing.Groups;

namespace KvRaft.Server.Tests.Groups;

/// <summary>Writes to each group of a settled <see cref="GroupedCluster"/> under one session per group.</summary>
internal sealed class GroupWriter
{
    private readonly GroupedCluster _cluster;
    private readonly Dictionary<int, (ulong Id, ulong Sequence)> _sessions = [];

    /// <summary>Elects every group, waits for configuration 1 on every data replica, and registers a session in groups 0..<paramref name="dataGroups"/>.</summary>
    public GroupWriter(GroupedCluster cluster, int dataGroups)
    {
        _cluster = cluster;
        cluster.ElectAll();
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == 1));
        for (var group = 0; group <= dataGroups; group++)
        {
            _sessions[group] = (cluster.Call(group, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId, 0);
        }
    }

    /// <summary>Sends <paramref name="request"/> to <paramref name="group"/> under its session, with the next sequence.</summary>
    public ClientResponse Write(int group, ClientRequest request)
    {
        var (id, sequence) = _sessions[group];
        _sessions[group] = (id, sequence + 1);
        return _cluster.Call(group, request with { ClientId = id, Sequence = sequence + 1 });
    }
}
