using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// Membership changes in some runs, proposed through <c>KvNode.ProposeConfigChange</c> on the leader while every other
/// fault goes on: the spare node (started empty) is added as a learner, then promoted, alone or together with a
/// voter's removal (two voters change: through the joint state, left on its own); then voters are removed (the leader
/// among them) while more than three remain. A removed node is never added again.
/// </summary>
public sealed partial class Simulation
{
    private const double MembershipSeedShare = 0.35;
    private const double MembershipChangeProbability = 0.03;
    private readonly Prng _membershipRandom;
    private bool _spareAdded;

    /// <summary>This run changes membership (a spare node is hosted).</summary>
    internal bool ChangesMembership { get; }

    private void ChangeMembership()
    {
        if (FindLeader() is not { Node: { } node } leader)
        {
            return;
        }

        var config = node.Config;
        if (config.IsJoint)
        {
            return; // the leader leaves it on its own
        }

        var spare = NodeCount;
        ConfigChange[] changes;
        if (!_spareAdded)
        {
            changes = [new ConfigChange(ConfigChangeType.AddLearner, spare)];
        }
        else if (config.IsLearner(spare))
        {
            changes = _membershipRandom.Chance(0.5)
                ? [new ConfigChange(ConfigChangeType.AddVoter, spare)]
                : [new ConfigChange(ConfigChangeType.AddVoter, spare), new ConfigChange(ConfigChangeType.RemoveNode, PickVoter(config))];
        }
        else if (config.Voters.Length > 3)
        {
            changes = [new ConfigChange(ConfigChangeType.RemoveNode, PickVoter(config))];
        }
        else
        {
            return;
        }
        var status = node.ProposeConfigChange(changes, ConfigTransition.Auto, out var index);
        Trace($"membership n{leader.Id} in {config}: {string.Join(", ", changes.Select(c => $"{c.Type} n{c.NodeId}"))} -> {status} at {index}");
        if (status == ConfigChangeStatus.Accepted && changes[0].Type == ConfigChangeType.AddLearner)
        {
            _spareAdded = true;
        }
    }

    // A voter to remove: the leader itself now and then.
    private int PickVoter(ConfigState config) => config.Voters[_membershipRandom.Next(config.Voters.Length)];
}
