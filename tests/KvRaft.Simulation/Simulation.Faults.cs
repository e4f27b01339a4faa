using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>How hostile one run is: drawn from the seed so that runs differ widely (many faults off in a run).</summary>
internal sealed record FaultProfile(
    double CrashProbability,
    double CrashWhileUnsyncedProbability,
    double LeaderCrashProbability,
    double RestartProbability,
    double PartitionProbability,
    double OneWayProbability,
    double LeaderIsolateProbability,
    double HealProbability,
    double DropProbability,
    double DuplicateProbability,
    double LongDelayProbability,
    int DelayTicksMax,
    double SlowDiskProbability,
    int SlowDiskTicksMax,
    bool DriftingClocks,
    double StallProbability,
    double LeaderStallProbability,
    double TransferProbability,
    double ClientActivity,
    bool LeaseReads,
    long SnapshotAfterLogBytes,
    long CompactionLagEntries,
    int AppendEntriesMax,
    int InflightMessagesMax,
    double LeaderChurnProbability)
{
    public static FaultProfile Draw(Prng random) => new(
        CrashProbability: Sometimes(random, 0.6, 0.01),
        CrashWhileUnsyncedProbability: Sometimes(random, 0.6, 0.05),
        LeaderCrashProbability: Sometimes(random, 0.5, 0.03),
        RestartProbability: 0.02 + (random.NextDouble() * 0.1),
        PartitionProbability: Sometimes(random, 0.6, 0.02),
        OneWayProbability: random.NextDouble() * 0.4,
        LeaderIsolateProbability: Sometimes(random, 0.5, 0.02),
        HealProbability: 0.01 + (random.NextDouble() * 0.05),
        DropProbability: Sometimes(random, 0.6, 0.15),
        DuplicateProbability: Sometimes(random, 0.5, 0.05),
        LongDelayProbability: Sometimes(random, 0.4, 0.01),
        DelayTicksMax: 1 + random.Next(3),
        SlowDiskProbability: random.NextDouble() * 0.6,
        SlowDiskTicksMax: 1 + random.Next(4),
        DriftingClocks: random.Chance(0.5),
        StallProbability: Sometimes(random, 0.4, 0.005),
        LeaderStallProbability: Sometimes(random, 0.4, 0.01),
        TransferProbability: Sometimes(random, 0.5, 0.01),
        ClientActivity: 0.2 + (random.NextDouble() * 0.8),
        LeaseReads: random.Chance(0.4),
        SnapshotAfterLogBytes: random.Chance(0.7) ? 256 + random.Next(4096) : 1L << 30,
        CompactionLagEntries: random.Next(8),
        AppendEntriesMax: new[] { 1, 2, 4, 64 }[random.Next(4)],
        InflightMessagesMax: new[] { 1, 2, 4, 16 }[random.Next(4)],
        LeaderChurnProbability: Sometimes(random, 0.5, 0.8));

    // Off in about (1 - share) of the runs, else uniform in [0, max).
    private static double Sometimes(Prng random, double share, double max) => random.Chance(share) ? random.NextDouble() * max : 0;
}

public sealed partial class Simulation
{
    private void InjectFaults()
    {
        Network.DropProbability = _profile.DropProbability;
        Network.DuplicateProbability = _profile.DuplicateProbability;
        Network.LongDelayProbability = _profile.LongDelayProbability;
        Network.DelayTicksMax = _profile.DelayTicksMax;
        if (Tick == 0 && _profile.DriftingClocks)
        {
            DrawClockDrifts();
        }

        foreach (var host in _hosts)
        {
            CrashOrRestart(host);
        }

        if (Network.IsPartitioned)
        {
            if (Random.Chance(_profile.HealProbability))
            {
                HealNetwork();
            }
        }
        else if (Random.Chance(_profile.PartitionProbability))
        {
            Partition();
        }
        if (Random.Chance(_profile.TransferProbability))
        {
            TransferLeadership();
        }

        if (ChangesMembership && _membershipRandom.Chance(MembershipChangeProbability))
        {
            ChangeMembership();
        }

        ResetConnectionNowAndThen();
        IsolateWhenDue();
        ChurnNewLeader();
        ReadFromStaleLeaderWhenDue();
        if (Random.Chance(_profile.LeaderCrashProbability) && FindLeader() is { } leader)
        {
            Crash(leader);
        }

        if (!Network.IsPartitioned && Random.Chance(_profile.LeaderIsolateProbability) && FindLeader() is { } isolated)
        {
            Isolate(isolated);
        }

        if (Random.Chance(_profile.LeaderStallProbability) && FindLeader() is { } stalled)
        {
            StallLeader(stalled);
        }

        foreach (var host in _hosts)
        {
            if (host.IsUp && !host.IsStalled && Random.Chance(_profile.StallProbability))
            {
                host.Stall(1 + Random.Next(2 * ElectionTicks));
            }
        }
    }

    private void DrawClockDrifts()
    {
        foreach (var host in _hosts)
        {
            host.ClockDrift = Random.Next(3) - 1;
        }

        Trace("clock drift: " + string.Join(" ", _hosts.Select(h => $"n{h.Id}:{h.ClockDrift:+0;-0;0}")));
    }

    private void CrashOrRestart(SimHost host)
    {
        if (host.IsUp)
        {
            var crash = host.HasUnsyncedWrites ? _profile.CrashWhileUnsyncedProbability : _profile.CrashProbability;
            if (Random.Chance(crash))
            {
                Crash(host);
            }
        }
        else if (Random.Chance(_profile.RestartProbability))
        {
            Trace($"restart n{host.Id}");
            host.Start();
        }
    }

    private SimHost? FindLeader()
    {
        var leaders = _hosts.Where(h => h.Node is { } node && !h.IsStalled && node.RaftNode.Role == Role.Leader).ToList();
        return leaders.Count == 0 ? null : leaders[Random.Next(leaders.Count)];
    }

    /// <summary>A crash also closes the node's connections: the transport tells every peer at once.</summary>
    private void Crash(SimHost host)
    {
        host.Crash();
        foreach (var other in _hosts.Where(other => other != host))
        {
            ConnectionClosed(other, host.Id);
        }
    }

    /// <summary>
    /// The transport's report that the connection to <paramref name="peer"/> closed (<see cref="KvNode.OnPeerUnreachable"/>):
    /// after a crash, a two-way cut (a real network resets the link or the relay closes it), and now and then for no
    /// reason, the link coming back at once (<see cref="ConnectionResetProbability"/>).
    /// </summary>
    private static void ConnectionClosed(SimHost host, int peer) => host.Deliver(node => node.OnPeerUnreachable(peer));

    /// <summary>Per tick: a random node is told that its connection to another closed although the link works.</summary>
    private const double ConnectionResetProbability = 0.005;

    private void ResetConnectionNowAndThen()
    {
        if (Random.Chance(ConnectionResetProbability))
        {
            var host = _hosts[Random.Next(_hosts.Count)];
            var peer = 1 + Random.Next(NodeCount);
            if (peer != host.Id)
            {
                ConnectionClosed(host, peer);
            }
        }
    }

    private void HealNetwork()
    {
        Trace("heal");
        Network.Heal();
    }

    /// <summary>Two random sides; sometimes the cut is one-way.</summary>
    private void Partition()
    {
        var side = new bool[NodeCount];
        for (var i = 0; i < side.Length; i++)
        {
            side[i] = Random.Chance(0.5);
        }

        var oneWay = Random.Chance(_profile.OneWayProbability);
        Trace($"partition {string.Join(",", _hosts.Where((_, i) => side[i]).Select(h => h.Id))} | rest{(oneWay ? " (one-way)" : "")}");
        for (var a = 0; a < side.Length; a++)
        {
            for (var b = 0; b < side.Length; b++)
            {
                if (!side[a] || side[b])
                {
                    continue;
                }

                Network.Cut(a + 1, b + 1);
                if (!oneWay)
                {
                    Network.Cut(b + 1, a + 1);
                    ConnectionClosed(_hosts[a], b + 1);
                    ConnectionClosed(_hosts[b], a + 1);
                }
            }
        }
    }

    private void Isolate(SimHost host)
    {
        Trace($"isolate n{host.Id}");
        foreach (var other in _hosts)
        {
            if (other == host)
            {
                continue;
            }

            Network.Cut(host.Id, other.Id);
            Network.Cut(other.Id, host.Id);
            ConnectionClosed(host, other.Id);
            ConnectionClosed(other, host.Id);
        }
    }

    /// <summary>The leader's event loop stops for longer than an election timeout, often cut off from its peers meanwhile.</summary>
    private void StallLeader(SimHost leader)
    {
        var ticks = ElectionTicks + Random.Next(5 * ElectionTicks);
        if (!Network.IsPartitioned && Random.Chance(0.5))
        {
            Isolate(leader);
            _staleLeaderResumes = (leader.Id, Tick + ticks);
        }
        leader.Stall(ticks);
    }

    /// <summary>
    /// The isolated leader resumes, unaware that a successor has taken writes meanwhile: clients with a stale idea of
    /// the leader send their next reads to it, as real clients do (a leader that still believes in its lease must
    /// not answer them).
    /// </summary>
    private void ReadFromStaleLeaderWhenDue()
    {
        if (_staleLeaderResumes is not { } due || due.Tick > Tick)
        {
            return;
        }

        _staleLeaderResumes = null;
        Trace($"clients read from n{due.Node}, resuming");
        foreach (var client in _clients)
        {
            client.ReadNextFrom(due.Node);
        }
    }

    /// <summary>A leadership transfer; now and then the network then cuts the old leader off before it hears how it went.</summary>
    private void TransferLeadership()
    {
        if (FindLeader() is not { Node: { } node } leader)
        {
            return;
        }

        var to = 1 + Random.Next(NodeCount);
        var started = node.TransferLeadership(to);
        Trace($"transfer leadership n{leader.Id} -> n{to}: {started}");
        if (started && Random.Chance(0.5))
        {
            _isolation = (leader.Id, Tick + 1 + Random.Next(3));
        }
    }

    private void IsolateWhenDue()
    {
        if (_isolation is not { } due || due.Tick > Tick)
        {
            return;
        }

        _isolation = null;
        if (!Network.IsPartitioned)
        {
            Isolate(Host(due.Node));
        }
    }

    /// <summary>
    /// Now and then a leader is lost within a few ticks of its election, while its first entries are half
    /// replicated: crashed, or cut off until the network heals. Terms pile up over logs that differ in their tails,
    /// the ground on which a leader must not commit an earlier term's entry by counting replicas (Raft's figure 8).
    /// </summary>
    private void ChurnNewLeader()
    {
        if (_churn is { } due && due.Tick <= Tick)
        {
            _churn = null;
            var host = Host(due.Node);
            if (host.Node is { } node && !host.IsStalled && node.RaftNode.Role == Role.Leader && node.RaftNode.Term == due.Term)
            {
                if (Random.Chance(0.5) || Network.IsPartitioned)
                {
                    Crash(host);
                }
                else
                {
                    Isolate(host);
                }
            }
        }
        if (_churn is null && FindLeader() is { Node: { } leader } elected && leader.RaftNode.Term > _newestLeaderTerm)
        {
            _newestLeaderTerm = leader.RaftNode.Term;
            if (Random.Chance(_profile.LeaderChurnProbability))
            {
                _churn = (elected.Id, _newestLeaderTerm, Tick + 1 + Random.Next(4));
            }
        }
    }
}
