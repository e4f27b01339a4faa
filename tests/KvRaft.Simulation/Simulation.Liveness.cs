using KvRaft.Raft;

namespace KvRaft.Simulation;

public sealed partial class Simulation
{
    /// <summary>
    /// Heals everything (network, stalls, clocks, disks stay as they are but every node runs) and requires, within
    /// <see cref="SimulationOptions.LivenessTicksMax"/> ticks: every client's outstanding operation answered (none given
    /// up), and one new write acknowledged and applied on every node.
    /// </summary>
    private long RunLiveness()
    {
        Trace("liveness: heal the network, end every stall, restart every node, reliable delivery");
        Network.Heal();
        Network.DropProbability = 0;
        Network.DuplicateProbability = 0;
        Network.LongDelayProbability = 0;
        Network.DelayTicksMax = 1;
        foreach (var host in _hosts)
        {
            host.ClockDrift = 0;
            host.EndStall();
            if (!host.IsUp)
            {
                host.Start();
            }
        }
        var start = Tick;
        var deadline = Tick + Options.LivenessTicksMax;
        for (; Tick < deadline; Tick++)
        {
            var clientsDone = true;
            foreach (var client in _clients)
            {
                clientsDone &= client.ActForLiveness(writer: client.Number == 0);
            }

            Step();
            if (clientsDone && LivenessWriteAppliedEverywhere())
            {
                return Tick - start;
            }
        }
        TraceRoles();
        var waiting = string.Join(", ", _clients.Where(c => !c.Idle).Select(c => $"client {c.Number}"));
        Fail(ViolationKind.Liveness, $"within {Options.LivenessTicksMax} ticks of healing: " +
            (waiting.Length > 0 ? $"{waiting} still waiting" : "the new write was not applied on every node"));
        return -1;
    }

    private bool LivenessWriteAppliedEverywhere()
    {
        var writer = _clients[0];
        var index = Audit.AppliedIndexOf(writer.ClientId, writer.LivenessWriteSequence);
        if (index <= 0 || _hosts.Any(h => !h.IsUp))
        {
            return false;
        }
        // Every member of the configuration in effect where most was applied: removed nodes and a spare never added
        // get no entries.
        var config = _hosts.MaxBy(h => h.Machine.AppliedIndex)!.Node!.Config;
        return _hosts.All(h => !config.IsMember(h.Id) || h.Machine.AppliedIndex >= index);
    }
}
