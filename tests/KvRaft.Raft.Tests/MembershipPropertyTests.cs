// Goal: random membership changes (learners added, promoted, voters and leaders removed, several voters at once through
// the joint state) under crashes, partitions, transfers and compaction never break safety, and the cluster converges
// once healed; method: seeded schedules over TestNetwork, its apply checks (no two entries at one index) and a check
// of one leader per term after every step, then agreement on a value by the final configuration's voters.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Members;

namespace KvRaft.Raft.Tests;

public sealed class MembershipPropertyTests
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(11, 60)]
    public void RandomMembershipChangesUnderFaults_StaySafe_AndConverge(int firstSeed, int lastSeed)
    {
        var changes = 0;
        for (var seed = firstSeed; seed <= lastSeed; seed++)
        {
            changes += RunSchedule((ulong)seed);
        }

        Assert.True(changes >= 3 * (lastSeed - firstSeed + 1), $"only {changes} changes were accepted: the schedules do not exercise membership");
    }

    /// <summary>Runs one schedule; returns how many changes the leaders accepted.</summary>
    internal static int RunSchedule(ulong seed)
    {
        var accepted = 0;
        var net = new TestNetwork(5, seed) { Record = false };
        var random = new Prng(seed ^ 0xC0FFEE);
        var faulty = new HashSet<int>();
        var leaders = new Dictionary<long, int>(); // term -> its leader, over the whole run
        var value = 0;
        for (var step = 0; step < 400; step++)
        {
            var id = net.Ids[random.Next(net.Ids.Length)];
            switch (random.Next(12))
            {
                case 0 when faulty.Count < 2:
                    net.Isolate(id);
                    faulty.Add(id);
                    break;
                case 1 when faulty.Count < 2:
                    if (net.IsUp(id))
                    {
                        net.Crash(id);
                    }

                    faulty.Add(id);
                    break;
                case 2:
                    if (faulty.Count > 0)
                    {
                        Repair(net, faulty, faulty.ElementAt(random.Next(faulty.Count)));
                    }

                    break;
                case 3:
                    if (net.IsUp(id) && net.Node(id).Role == Role.Leader)
                    {
                        net.Node(id).TransferLeadership(net.Ids[random.Next(net.Ids.Length)]);
                    }

                    break;
                case 4:
                    net.Compact(id, every: 5);
                    break;
                case 5:
                case 6:
                case 7:
                    if (ProposeRandomChange(net, random))
                    {
                        accepted++;
                    }

                    break;
                default:
                    foreach (var node in net.Live.Where(n => n.Role == Role.Leader).ToArray())
                    {
                        net.Propose(node.Id, ++value, out _);
                    }

                    break;
            }
            net.ProcessAll();
            net.Tick(random.Next(4));
            CheckOneLeaderPerTerm(net, leaders);
        }
        net.Heal();
        foreach (var id in net.Ids.Where(id => !net.IsUp(id)))
        {
            net.Restart(id);
        }

        var leader = 0;
        // Converged: a leader whose configuration is not joint and is in effect on all its members (removed nodes that
        // missed their removal may still pre-campaign on an old configuration: pre-vote keeps them harmless).
        Assert.True(net.TickUntil(() => (leader = net.ConnectedLeader()) != 0 && !net.Node(leader).Config.IsJoint && net.HaveApplied(net.Node(leader).Config), 1000), net.Tag);
        net.One(-1, net.Node(leader).Config.Voters.Length);
        net.CheckAppliedPrefixes();
        return accepted;
    }

    private static bool ProposeRandomChange(TestNetwork net, Prng random)
    {
        var leader = net.Live.FirstOrDefault(n => n.Role == Role.Leader);
        if (leader is null)
        {
            return false;
        }

        var config = leader.Config;
        var outsiders = net.Ids.Where(id => !config.IsMember(id)).ToArray();
        var members = config.Voters.Concat(config.Learners).ToArray();
        ConfigChange[] changes = random.Next(4) switch
        {
            0 when outsiders.Length > 0 => [AddLearner(outsiders[random.Next(outsiders.Length)])],
            1 when config.Learners.Length > 0 => [AddVoter(config.Learners[random.Next(config.Learners.Length)])],
            2 when config.Voters.Length > 2 => [Remove(members[random.Next(members.Length)])], // the leader itself among them
            3 when config.Learners.Length > 0 && config.Voters.Length > 2 =>
                [AddVoter(config.Learners[random.Next(config.Learners.Length)]), Remove(config.Voters[random.Next(config.Voters.Length)])],
            _ => [],
        };
        return changes.Length > 0 && net.ProposeChange(leader.Id, ConfigTransition.Auto, changes) == ConfigChangeStatus.Accepted;
    }

    private static void CheckOneLeaderPerTerm(TestNetwork net, Dictionary<long, int> leaders)
    {
        foreach (var node in net.Live.Where(n => n.Role == Role.Leader))
        {
            if (leaders.TryGetValue(node.Term, out var other) && other != node.Id)
            {
                throw new SafetyViolation($"nodes {other} and {node.Id} both led term {node.Term} ({net.Tag})");
            }
            leaders[node.Term] = node.Id;
        }
    }

    private static void Repair(TestNetwork net, HashSet<int> faulty, int id)
    {
        if (!net.IsUp(id))
        {
            net.Restart(id);
        }

        net.Connect(id);
        faulty.Remove(id);
    }
}
