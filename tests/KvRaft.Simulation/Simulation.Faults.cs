using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>How hostile one run is: drawn from the seed so that runs differ widely.</summary>
internal sealed record FaultProfile(
    double CrashProbability,
    double LeaderCrashProbability,
    double LeaderIsolateProbability,
    double CrashWhilePersistingProbability,
    double RestartProbability,
    double PartitionProbability,
    double HealProbability,
    double DropProbability,
    double DuplicateProbability,
    int DelayTicksMax,
    double SlowDiskProbability,
    double TickSkipProbability,
    double TransferProbability,
    double ProposeProbability,
    double ReadProbability,
    bool LeaseReads)
{
    public static FaultProfile Draw(Prng random) => new(
        CrashProbability: random.Chance(0.3) ? 0 : random.NextDouble() * 0.01,
        LeaderCrashProbability: random.Chance(0.5) ? 0 : random.NextDouble() * 0.05,
        LeaderIsolateProbability: random.Chance(0.5) ? 0 : random.NextDouble() * 0.02,
        CrashWhilePersistingProbability: random.NextDouble() * 0.1,
        RestartProbability: 0.02 + random.NextDouble() * 0.1,
        PartitionProbability: random.Chance(0.3) ? 0 : random.NextDouble() * 0.02,
        HealProbability: 0.01 + random.NextDouble() * 0.05,
        DropProbability: random.Chance(0.3) ? 0 : random.NextDouble() * 0.15,
        DuplicateProbability: random.Chance(0.5) ? 0 : random.NextDouble() * 0.05,
        DelayTicksMax: 1 + random.Next(3),
        SlowDiskProbability: random.NextDouble() * 0.5,
        TickSkipProbability: random.Chance(0.5) ? 0 : random.NextDouble() * 0.1,
        TransferProbability: random.Chance(0.5) ? 0 : random.NextDouble() * 0.01,
        ProposeProbability: 0.1 + random.NextDouble() * 0.5,
        ReadProbability: random.NextDouble() * 0.4,
        LeaseReads: random.Chance(0.3));
}

public sealed partial class Simulation
{
    private void InjectFaults()
    {
        _network.Reorder = true;
        _network.DropProbability = _profile.DropProbability;
        _network.DuplicateProbability = _profile.DuplicateProbability;
        _network.DelayTicksMax = _profile.DelayTicksMax;
        foreach (SimNode node in _nodes)
        {
            if (node.IsUp)
            {
                double crash = node.HasPendingPersist ? _profile.CrashWhilePersistingProbability : _profile.CrashProbability;
                if (Random.Chance(crash)) Crash(node);
            }
            else if (Random.Chance(_profile.RestartProbability))
            {
                Trace($"restart n{node.Id}");
                node.Start();
            }
        }
        if (_network.IsPartitioned)
        {
            if (Random.Chance(_profile.HealProbability))
            {
                Trace("heal");
                _network.Heal();
            }
        }
        else if (Random.Chance(_profile.PartitionProbability))
        {
            Partition();
        }
        if (Random.Chance(_profile.TransferProbability)) TransferLeadership();
        if (Random.Chance(_profile.LeaderCrashProbability) && FindLeader() is { } leader) Crash(leader);
        if (!_network.IsPartitioned && Random.Chance(_profile.LeaderIsolateProbability) && FindLeader() is { } isolated)
        {
            Trace($"isolate leader n{isolated.Id}");
            foreach (SimNode other in _nodes)
            {
                if (other == isolated) continue;
                _network.Cut(isolated.Id, other.Id);
                _network.Cut(other.Id, isolated.Id);
            }
        }
    }

    private SimNode? FindLeader()
    {
        var leaders = _nodes.Where(n => n.Raft is { Role: Role.Leader }).ToList();
        return leaders.Count == 0 ? null : leaders[Random.Next(leaders.Count)];
    }

    private void Crash(SimNode node)
    {
        Trace($"crash n{node.Id}{(node.HasPendingPersist ? " (while persisting)" : "")}");
        node.Crash();
        Clients.OnCrash(node);
    }

    private void Partition()
    {
        // Split the nodes into two random sides; sometimes the cut is one-way.
        var side = new bool[_nodes.Count];
        for (int i = 0; i < side.Length; i++) side[i] = Random.Chance(0.5);
        bool oneWay = Random.Chance(0.2);
        Trace($"partition {string.Join(",", _nodes.Where((_, i) => side[i]).Select(n => n.Id))} | rest{(oneWay ? " (one-way)" : "")}");
        for (int a = 0; a < side.Length; a++)
        {
            for (int b = 0; b < side.Length; b++)
            {
                if (side[a] && !side[b])
                {
                    _network.Cut(a + 1, b + 1);
                    if (!oneWay) _network.Cut(b + 1, a + 1);
                }
            }
        }
    }

    private void TransferLeadership()
    {
        SimNode? leader = _nodes.FirstOrDefault(n => n.Raft is { Role: Role.Leader });
        if (leader is null) return;
        int to = 1 + Random.Next(_nodes.Count);
        bool started = leader.Raft!.TransferLeadership(to);
        Trace($"transfer leadership n{leader.Id} -> n{to}: {started}");
    }

    private void ClientActions()
    {
        if (Random.Chance(_profile.ProposeProbability))
        {
            SimNode? target = PickTarget();
            if (target is not null) Clients.Propose(target, liveness: false);
        }
        if (Random.Chance(_profile.ReadProbability))
        {
            SimNode? target = PickLive();
            if (target is not null) Clients.Read(target, _nodes);
        }
    }

    /// <summary>Usually a node that thinks it leads, sometimes any live node.</summary>
    private SimNode? PickTarget()
    {
        var leaders = _nodes.Where(n => n.Raft is { Role: Role.Leader }).ToList();
        if (leaders.Count > 0 && Random.Chance(0.9)) return leaders[Random.Next(leaders.Count)];
        return PickLive();
    }

    private SimNode? PickLive()
    {
        var live = _nodes.Where(n => n.IsUp).ToList();
        return live.Count == 0 ? null : live[Random.Next(live.Count)];
    }
}
