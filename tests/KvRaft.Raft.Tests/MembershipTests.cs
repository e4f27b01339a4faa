// Goal: membership changes end to end (docs/design.md, "Membership"): adding and removing voters (the leader too), learners
// and their promotion, one change at a time, the joint state entered and left on its own, and the configuration kept
// through snapshots and restarts; method: TestNetwork clusters changed through the leader, with partitions around the changes.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Members;

namespace KvRaft.Raft.Tests;

public sealed class MembershipTests
{
    private static int[] Others(TestNetwork net, params int[] but) => net.Ids.Where(id => !but.Contains(id)).ToArray();

    private static bool Campaigned(TestNetwork net, int mark, int id) =>
        net.Sent.Skip(mark).Any(m => m.From == id && m.Type is MessageType.PreVote or MessageType.Vote);

    /// <summary>Proposes a value on <paramref name="leader"/> in its partition; true if any node commits that entry within the ticks.</summary>
    private static bool CommitsWithin(TestNetwork net, int leader, int value, int ticks)
    {
        var term = net.Node(leader).Term;
        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, value, out var index));
        net.Deliver();
        return net.TickUntil(() => net.Live.Any(node => node.Committed >= index && node.TryGetLogTerm(index, out var t) && t == term), ticks);
    }

    [Fact]
    public void AddedVoter_CatchesUp_AndTheLargerMajorityIsNeededToCommit()
    {
        var net = new TestNetwork(3, 1501);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.AddNode(4);
        net.ChangeConfig(Voters(1, 2, 3, 4), AddVoter(4));
        net.One(2, 4);
        var others = Others(net, leader);
        net.Partition([leader, others[0]], [others[1], others[2]]);
        Assert.False(CommitsWithin(net, leader, 3, 30), net.Tag); // two of four are no majority
        net.Heal();
        net.One(4, 4);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void RemovedFollower_AppliesItsRemoval_NeverCampaignsAgain_AndTheOthersCommitWithoutIt()
    {
        var net = new TestNetwork(3, 1502);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var removed = Others(net, leader)[0];
        var remaining = Voters(Others(net, removed));
        net.ChangeConfig(remaining, Remove(removed));
        Assert.True(net.TickUntil(() => net.Node(removed).Config.Equals(remaining), 20), net.Tag); // it learned the commit
        var mark = net.Sent.Count;
        net.Isolate(removed);
        net.Tick(100);
        Assert.False(Campaigned(net, mark, removed), net.Tag);
        Assert.Equal(Role.Follower, net.Node(removed).Role);
        net.One(2, 2);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void LeaderRemovingItself_StepsDownOnceTheChangeIsApplied_AndTheOthersElectALeader()
    {
        var net = new TestNetwork(3, 1503);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var others = Others(net, leader);
        Assert.Equal(ConfigChangeStatus.Accepted, net.Node(leader).ProposeConfigChange(Remove(leader), out var index));
        net.Process(leader);
        net.Deliver();
        Assert.True(net.TickUntil(() => net.Node(leader).Role != Role.Leader, 20), net.Tag);
        Assert.Equal(Voters(others), net.Node(leader).Config);
        Assert.True(others.All(id => net.Node(id).Committed >= index), net.Tag); // the commit reached them before it stepped down
        var mark = net.Sent.Count;
        var next = net.CheckOneLeader();
        Assert.Contains(next, others);
        net.One(2, 2);
        Assert.False(Campaigned(net, mark, leader), net.Tag);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void Learner_ReceivesTheLog_NeverCampaigns_AndNeverCountsInAQuorum()
    {
        var net = new TestNetwork(3, 1504);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.AddNode(4);
        net.AddNode(5);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4, 5]), ConfigTransition.Auto, AddLearner(4), AddLearner(5));
        net.One(2, 5); // the learners applied it too
        var mark = net.Sent.Count;
        net.Isolate(4);
        net.Tick(100);
        Assert.False(Campaigned(net, mark, 4), net.Tag);
        net.Heal();
        leader = net.CheckOneLeader();
        Assert.False(net.Node(leader).TransferLeadership(4)); // a learner cannot be handed the leadership
        var voters = Others(net, leader, 4, 5);
        net.Partition([leader, 4, 5], voters);
        Assert.False(CommitsWithin(net, leader, 3, 30), net.Tag); // the leader and two learners are no majority of three voters
        net.Heal();
        net.One(4, 5);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void PromotedLearner_CountsInTheQuorum_AndCanBeHandedTheLeadership()
    {
        var net = FourVotersAfterPromotingALearner(1505);
        var leader = net.CheckOneLeader();
        var others = Others(net, leader, 4);
        net.Isolate(others[0]);
        net.One(1, 3); // leader, the promoted node and one more: three of four
        net.Heal();
        Assert.True(net.Node(leader).TransferLeadership(4));
        net.Process(leader);
        Assert.True(net.TickUntil(() => net.ConnectedLeader() == 4, 30), net.Tag);
        net.One(2, 4);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void SecondChange_IsRefusedUntilTheFirstIsApplied()
    {
        var net = new TestNetwork(3, 1506);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.Partition([leader], Others(net, leader)); // the first change cannot commit
        Assert.Equal(ConfigChangeStatus.Accepted, net.ProposeChange(leader, ConfigTransition.Auto, AddLearner(4)));
        Assert.Equal(ConfigChangeStatus.ChangePending, net.ProposeChange(leader, ConfigTransition.Auto, AddLearner(5)));
        net.Heal();
        net.AddNode(4);
        Assert.True(net.TickUntil(() => net.HaveApplied(Voters(1, 2, 3).With(learners: [4])), 50), net.Tag);
        leader = net.CheckOneLeader();
        Assert.Equal(ConfigChangeStatus.Accepted, net.ProposeChange(leader, ConfigTransition.Auto, AddLearner(5)));
        var follower = Others(net, leader, 4)[0];
        Assert.Equal(ConfigChangeStatus.NotLeader, net.ProposeChange(follower, ConfigTransition.Auto, AddLearner(6)));
    }

    [Fact]
    public void SeveralVotersChanged_EnterTheJointState_AndLeaveItOnTheirOwn()
    {
        var net = new TestNetwork(3, 1507);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.AddNode(4);
        net.AddNode(5);
        var target = Voters(1, 2, 3, 4, 5);
        net.ChangeConfig(target, ConfigTransition.Auto, AddVoter(4), AddVoter(5));
        var configEntries = net.Applied[leader].Where(e => e.Type == EntryType.Config).ToList();
        Assert.Equal(2, configEntries.Count);
        Assert.True(ConfigChangeCodec.TryDecode(configEntries[1].Data.Span, out var leave) && leave.LeaveJoint);
        net.One(2, 5);
        Assert.All(net.Live, node => Assert.False(node.Config.IsJoint));
    }

    [Fact]
    public void PartitionedOldMajority_CannotCommitInTheJointState_AndTheChangeCompletesOnceHealed()
    {
        var net = new TestNetwork(3, 1508);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var old = Others(net, leader);
        net.AddNode(4);
        net.AddNode(5);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4, 5]), ConfigTransition.Auto, AddLearner(4), AddLearner(5));
        net.Partition([leader, old[0], old[1]], [4, 5]);
        // Replace the two old followers by 4 and 5. The old voters alone commit the entry entering C_old,new (each node
        // switches when it applies it); leaving needs a majority of {leader, 4, 5}, which is cut off.
        Assert.Equal(ConfigChangeStatus.Accepted, net.ProposeChange(leader, ConfigTransition.Auto, Remove(old[0]), Remove(old[1]), AddVoter(4), AddVoter(5)));
        net.Deliver();
        Assert.True(net.TickUntil(() => net.Node(leader).Config.IsJoint, 10), net.Tag);
        Assert.False(CommitsWithin(net, net.Node(leader).Role == Role.Leader ? leader : net.CheckOneLeader(20), 7, 40), net.Tag);
        net.Heal();
        var final = Voters(leader, 4, 5);
        Assert.True(net.TickUntil(() => net.HaveApplied(final), 200), net.Tag);
        net.One(8, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void PartitionedNewMajority_CannotCommitInTheJointState_EitherHalfIsNeeded()
    {
        var net = new TestNetwork(3, 1511);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var old = Others(net, leader);
        net.AddNode(4);
        net.AddNode(5);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4, 5]), ConfigTransition.Auto, AddLearner(4), AddLearner(5));
        // Everyone applies the entry entering C_old,new; the entry leaving it is held back, then the old followers are cut off.
        static bool IsLeave(Entry e) => e.Type == EntryType.Config && ConfigChangeCodec.TryDecode(e.Data.Span, out var r) && r.LeaveJoint;
        net.DropFilter = m => m.Type == MessageType.Append && m.Entries.ToArray().Any(IsLeave);
        Assert.Equal(ConfigChangeStatus.Accepted, net.ProposeChange(leader, ConfigTransition.Auto, Remove(old[0]), Remove(old[1]), AddVoter(4), AddVoter(5)));
        net.Deliver();
        Assert.True(net.TickUntil(() => net.Node(leader).Config.IsJoint, 10), net.Tag);
        net.DropFilter = null;
        net.Partition([leader, 4, 5], old);
        Assert.False(CommitsWithin(net, leader, 7, 40), net.Tag); // the new voters are all there, the old majority is not
        net.Heal();
        Assert.True(net.TickUntil(() => net.HaveApplied(Voters(leader, 4, 5)), 200), net.Tag);
        net.One(8, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void Configuration_SurvivesSnapshotsAndRestarts_AndReachesANewMemberInTheSnapshot()
    {
        var net = FourVotersAfterPromotingALearner(1509);
        net.One(1, 4);
        foreach (var id in net.Ids)
        {
            Assert.NotNull(net.Compact(id));
        }

        foreach (var id in net.Ids)
        {
            Assert.Equal(Voters(1, 2, 3, 4), net.Storage[id].Snapshot.Config);
        }

        foreach (var id in net.Ids)
        {
            net.Restart(id);
        }

        Assert.All(net.Live, node => Assert.Equal(Voters(1, 2, 3, 4), node.Config));
        net.One(2, 4);
        var mark = net.Sent.Count;
        net.AddNode(5);
        net.ChangeConfig(Voters(1, 2, 3, 4).With(learners: [5]), AddLearner(5));
        Assert.NotEmpty(net.SentSince(mark, MessageType.Snapshot, 5)); // the log it needed was compacted
        net.One(3, 5);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void RemovedVoter_LeavesTheLeadersProgress_AndAMemberCanBeAddedBackUnderItsOldId()
    {
        var net = new TestNetwork(3, 1510);
        var leader = net.CheckOneLeader();
        var removed = Others(net, leader)[0];
        net.ChangeConfig(Voters(Others(net, removed)), Remove(removed));
        leader = net.CheckOneLeader();
        Assert.DoesNotContain(removed, net.Node(leader).Status.Followers!.Keys);
        net.ChangeConfig(Voters(1, 2, 3), AddVoter(removed));
        net.One(1, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void LeaderReplacedThroughTheJointState_LeadsUntilTheLeaveIsApplied_ThenStepsDown()
    {
        var net = new TestNetwork(3, 1512);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.AddNode(4);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4]), AddLearner(4));
        leader = net.CheckOneLeader();
        var stay = Others(net, leader, 4);
        // Two voters change: through C_old,new, in which the leader is an outgoing voter only.
        var term = net.Node(leader).Term;
        Assert.Equal(ConfigChangeStatus.Accepted, net.ProposeChange(leader, ConfigTransition.Auto, Remove(leader), AddVoter(4)));
        Assert.True(net.TickUntil(() => net.Node(leader).Role != Role.Leader, 50), net.Tag);
        // It led through the joint state: the entry leaving it is its own, of the same term.
        var changes = net.Applied[leader].Where(e => e.Type == EntryType.Config).TakeLast(2).ToArray();
        Assert.All(changes, e => Assert.Equal(term, e.Term));
        Assert.True(ConfigChangeCodec.TryDecode(changes[1].Data.Span, out var leave) && leave.LeaveJoint, net.Tag);
        var final = Voters([.. stay, 4]);
        Assert.Equal(final, net.Node(leader).Config);
        Assert.True(net.TickUntil(() => net.HaveApplied(final) && net.ConnectedLeader() is not 0 and var l && l != leader, 200), net.Tag);
        net.One(2, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void ALearnerCutOffFromItsLeader_NamesNoLeaderToClients_AfterAnElectionTimeout_AndAgainOnceItHearsFromIt()
    {
        var net = new TestNetwork(3, 1511);
        var leader = net.CheckOneLeader();
        net.AddNode(4);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4]), AddLearner(4));
        Assert.True(net.TickUntil(() => net.Node(4).RecentLeader == leader), net.Tag);

        net.Isolate(4); // a learner never campaigns: it keeps its leader for good
        Assert.False(net.TickUntil(() => net.Node(4).RecentLeader == 0, maxTicks: 9), net.Tag); // within the timeout
        Assert.True(net.TickUntil(() => net.Node(4).RecentLeader == 0, maxTicks: 60), net.Tag);
        Assert.Equal(leader, net.Node(4).Leader);

        net.Heal();
        Assert.True(net.TickUntil(() => net.Node(4).RecentLeader == leader), net.Tag);
    }

    /// <summary>A 3-voter network that added node 4 as a learner, then promoted it (two single changes).</summary>
    private static TestNetwork FourVotersAfterPromotingALearner(ulong seed)
    {
        var net = new TestNetwork(3, seed);
        net.CheckOneLeader();
        net.AddNode(4);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4]), AddLearner(4));
        net.ChangeConfig(Voters(1, 2, 3, 4), AddVoter(4));
        return net;
    }
}
