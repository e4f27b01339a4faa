using KvRaft.Raft;

namespace KvRaft.Simulation;

public sealed partial class Simulation
{
    /// <summary>Heals everything and requires a leader and a new write applied on every node in time.</summary>
    private long RunLiveness()
    {
        Trace("liveness: heal all, restart all, reliable network");
        _network.Heal();
        _network.DropProbability = 0;
        _network.DuplicateProbability = 0;
        _network.DelayTicksMax = 1;
        _network.Reorder = false;
        foreach (SimNode node in _nodes)
        {
            if (!node.IsUp) node.Start();
        }
        long start = Tick;
        long deadline = Tick + Options.LivenessTicksMax;
        for (; Tick < deadline; Tick++)
        {
            SimNode? leader = _nodes.FirstOrDefault(n => n.Raft is { Role: Role.Leader });
            if (leader is not null && Tick % 20 == 0) Clients.Propose(leader, liveness: true);
            Step();
            if (Tick % 10 == 0) TraceRoles(this, _nodes);
            if (LivenessWriteAppliedEverywhere()) return Tick - start;
        }
        TraceRoles(this, _nodes);
        throw new SimulationFailure(Options.Seed, Tick, $"liveness: no new write applied on every node within {Options.LivenessTicksMax} ticks of healing");
    }

    private bool LivenessWriteAppliedEverywhere()
    {
        foreach (var (index, writeId) in Checker.AppliedWrites)
        {
            if (!Clients.LivenessWrites.Contains(writeId)) continue;
            if (_nodes.All(n => n.Machine.Applied >= index)) return true;
        }
        return false;
    }
}
