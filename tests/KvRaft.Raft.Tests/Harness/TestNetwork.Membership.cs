// Goal: membership changes driven the way a host would; method: propose on the connected leader, tick until the members applied the expected configuration.
namespace KvRaft.Raft.Tests.Harness;

internal sealed partial class TestNetwork
{
    /// <summary>Proposes a change on <paramref name="id"/> and handles the resulting Ready.</summary>
    public ConfigChangeStatus ProposeChange(int id, ConfigTransition transition, params ConfigChange[] changes)
    {
        var status = Node(id).ProposeConfigChange(changes, transition, out _);
        Process(id);
        return status;
    }

    /// <summary>
    /// Proposes <paramref name="changes"/> on whichever connected node leads (retrying while a change is pending)
    /// until every connected member of <paramref name="expected"/> applied it; throws with the seed otherwise.
    /// </summary>
    public void ChangeConfig(ConfigState expected, ConfigTransition transition, params ConfigChange[] changes)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var leader = CheckOneLeader(200);
            if (leader == 0)
            {
                continue;
            }

            var status = ProposeChange(leader, transition, changes);
            if (status == ConfigChangeStatus.Accepted)
            {
                if (TickUntil(() => HaveApplied(expected), 200))
                {
                    return;
                }

                break;
            }
            if (status != ConfigChangeStatus.ChangePending && status != ConfigChangeStatus.NotLeader)
            {
                break;
            }

            Tick();
        }
        throw new SafetyViolation($"config {expected} not applied by its connected members ({Tag})");
    }

    /// <summary>The simple form of one change.</summary>
    public void ChangeConfig(ConfigState expected, ConfigChange change) => ChangeConfig(expected, ConfigTransition.Auto, change);

    /// <summary>Whether every connected member of <paramref name="expected"/> has it in effect.</summary>
    public bool HaveApplied(ConfigState expected) =>
        Ids.Where(id => expected.IsMember(id) && IsConnected(id)).All(id => Node(id).Config.Equals(expected));
}

/// <summary>Short names for changes and configurations.</summary>
internal static class Members
{
    public static ConfigChange AddVoter(int id) => new(ConfigChangeType.AddVoter, id);
    public static ConfigChange AddLearner(int id) => new(ConfigChangeType.AddLearner, id);
    public static ConfigChange Remove(int id) => new(ConfigChangeType.RemoveNode, id);

    public static ConfigState Voters(params int[] voters) => new(voters);

    public static ConfigState With(this ConfigState config, int[]? learners = null, int[]? outgoing = null) =>
        config with { Learners = learners ?? config.Learners, VotersOutgoing = outgoing ?? config.VotersOutgoing, AutoLeave = (outgoing ?? config.VotersOutgoing).Length > 0 };
}
