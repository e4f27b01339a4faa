// Goal: the quorum arithmetic of joint consensus and learners, the configuration each change leads to, and the Config entry codec;
// method: tables of cases over ProgressTracker, ConfigChanger and ConfigChangeCodec directly (configurations written "v=1,2,3 o=1,4,5 l=6").
namespace KvRaft.Raft.Tests;

public sealed class JointQuorumTests
{
    /// <summary>"v=1,2,3 o=1,4,5 l=6 auto": incoming voters, outgoing voters, learners, auto-leave.</summary>
    internal static ConfigState Parse(string text)
    {
        int[] voters = [], outgoing = [], learners = [];
        var autoLeave = false;
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "auto")
            {
                autoLeave = true;
                continue;
            }
            var ids = part[2..].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            switch (part[0])
            {
                case 'v': voters = ids; break;
                case 'o': outgoing = ids; break;
                default: learners = ids; break;
            }
        }
        return new ConfigState(voters) { VotersOutgoing = outgoing, Learners = learners, AutoLeave = autoLeave };
    }

    private static ProgressTracker Tracker(string config) => new(Parse(config), 64, 1 << 20);

    /// <summary>"1:9,2:3": a value per id.</summary>
    private static IEnumerable<(int Id, long Value)> Values(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(':')).Select(p => (int.Parse(p[0]), long.Parse(p[1])));

    [Theory]
    [InlineData("v=1", "1:7", 7)]
    [InlineData("v=1,2,3", "1:5,2:3,3:1", 3)]
    [InlineData("v=1,2,3,4", "1:4,2:3,3:2,4:1", 2)] // three of four
    [InlineData("v=1,2,3 l=4,5", "1:9,2:1,3:1,4:9,5:9", 1)] // learners never count
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:9,2:9,3:9,4:1,5:1", 1)] // the incoming majority alone commits nothing
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:9,2:1,3:1,4:9,5:9", 1)] // nor the outgoing one alone
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:9,2:9,3:1,4:9,5:1", 9)] // a majority of each
    [InlineData("v=2,3,4 o=1,2,3 auto", "1:8,2:6,3:7,4:5", 6)] // the lower of the two majorities' values
    public void QuorumMatch_IsTheLowerOfEachHalfsMajorityValue(string config, string matches, long expected)
    {
        var tracker = Tracker(config);
        foreach ((var id, var value) in Values(matches))
        {
            tracker[id].Match = value;
        }

        Assert.Equal(expected, tracker.QuorumMatch());
    }

    [Theory]
    [InlineData("v=1,2,3", "1:1,2:1", "Won")]
    [InlineData("v=1,2,3", "1:1,2:0,3:0", "Lost")]
    [InlineData("v=1,2,3 l=4", "1:1,4:1", "Pending")] // a learner's vote is not counted
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:1,2:1", "Pending")] // incoming won, outgoing open
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:1,2:1,4:1", "Won")]
    [InlineData("v=1,2,3 o=1,4,5 auto", "1:1,2:1,4:0,5:0", "Lost")] // outgoing lost: lost
    [InlineData("v=1,2,3 o=4,5,6 auto", "1:1,2:1,4:1,5:1", "Won")]
    [InlineData("v=1,2,3 o=4,5,6 auto", "1:1,2:1,3:1,4:1", "Pending")]
    public void TallyVotes_NeedsAMajorityOfEachHalf_AndIgnoresLearners(string config, string votes, string expected)
    {
        var tracker = Tracker(config);
        foreach ((var id, var granted) in Values(votes))
        {
            tracker.RecordVote(id, granted == 1);
        }

        Assert.Equal(Enum.Parse<ProgressTracker.VoteResult>(expected), tracker.TallyVotes());
    }

    [Theory]
    [InlineData("v=1,2,3", "2", true)]
    [InlineData("v=1,2,3 l=4,5", "4,5", false)] // active learners keep no leader in place
    [InlineData("v=1,2,3 o=1,4,5 auto", "2", false)]
    [InlineData("v=1,2,3 o=1,4,5 auto", "2,4", true)]
    [InlineData("v=2,3,4 o=1,2,3 auto", "2", false)] // the leader (1) counts only in the half it belongs to
    [InlineData("v=2,3,4 o=1,2,3 auto", "2,3", true)]
    public void CheckQuorum_NeedsAnActiveMajorityOfEachHalf(string config, string active, bool expected)
    {
        var tracker = Tracker(config);
        foreach (var id in active.Split(',').Select(int.Parse))
        {
            tracker[id].RecentActive = true;
        }

        Assert.Equal(expected, tracker.QuorumActiveThenClear(self: 1));
        Assert.False(tracker.QuorumActiveThenClear(self: 1)); // the flags were cleared: this node alone is no quorum here
    }

    [Theory]
    [InlineData("v=1,2,3 o=1,4,5 auto", "2:40,3:30,4:20,5:10", 20)] // lease start: acknowledged by {1,2} and {1,4}
    [InlineData("v=1,2,3 l=4", "2:40,3:30,4:50", 40)]
    public void LeaseAndReadRoundQuorums_AreJointAndCountTheLeaderAtItsOwnValue(string config, string acknowledged, long expected)
    {
        var tracker = Tracker(config);
        foreach ((var id, var value) in Values(acknowledged))
        {
            tracker[id].HeartbeatAcknowledgedTick = value;
            tracker[id].ReadRoundAcknowledged = value;
        }
        Assert.Equal(expected, tracker.QuorumValue(QuorumField.HeartbeatAcknowledgedTick, 1, 100));
        Assert.Equal(expected, tracker.QuorumValue(QuorumField.ReadRoundAcknowledged, 1, 100));
    }

    [Theory]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "+4", ConfigChangeStatus.Accepted, "v=1,2,3,4")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "+4 +5", ConfigChangeStatus.Accepted, "v=1,2,3,4,5 o=1,2,3 auto")]
    [InlineData("v=1,2,3", ConfigTransition.Joint, "+4", ConfigChangeStatus.Accepted, "v=1,2,3,4 o=1,2,3 auto")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "~4", ConfigChangeStatus.Accepted, "v=1,2,3 l=4")]
    [InlineData("v=1,2,3 l=4", ConfigTransition.Auto, "+4", ConfigChangeStatus.Accepted, "v=1,2,3,4")] // promotion
    [InlineData("v=1,2,3 l=4", ConfigTransition.Auto, "-4", ConfigChangeStatus.Accepted, "v=1,2,3")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "-3", ConfigChangeStatus.Accepted, "v=1,2")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "-1 +4", ConfigChangeStatus.Accepted, "v=2,3,4 o=1,2,3 auto")] // replace: joint
    [InlineData("v=1,2,3", ConfigTransition.Auto, "~4 ~5", ConfigChangeStatus.Accepted, "v=1,2,3 l=4,5")]
    [InlineData("v=1", ConfigTransition.Auto, "-1", ConfigChangeStatus.NoVotersLeft, "")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "+2", ConfigChangeStatus.Invalid, "")] // already a voter
    [InlineData("v=1,2,3", ConfigTransition.Auto, "~2", ConfigChangeStatus.Invalid, "")] // demotion: not supported
    [InlineData("v=1,2,3 l=4", ConfigTransition.Auto, "~4", ConfigChangeStatus.Invalid, "")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "-7", ConfigChangeStatus.Invalid, "")] // no member
    [InlineData("v=1,2,3", ConfigTransition.Auto, "+4 -4", ConfigChangeStatus.Invalid, "")] // named twice
    [InlineData("v=1,2,3", ConfigTransition.Auto, "+0", ConfigChangeStatus.Invalid, "")]
    [InlineData("v=1,2,3", ConfigTransition.Auto, "-3 ~3", ConfigChangeStatus.Invalid, "")]
    [InlineData("v=1,2,3,4 o=1,2,3 auto", ConfigTransition.Auto, "+5", ConfigChangeStatus.ChangePending, "")] // joint: leave first
    public void ConfigChanger_LeadsToTheSimpleOrJointConfiguration_OrRefuses(string current, ConfigTransition transition, string changes, ConfigChangeStatus status, string expected)
    {
        var parsed = changes.Split(' ').Select(c => new ConfigChange(
            c[0] switch { '+' => ConfigChangeType.AddVoter, '~' => ConfigChangeType.AddLearner, _ => ConfigChangeType.RemoveNode },
            int.Parse(c[1..]))).ToArray();
        var result = ConfigChanger.TryApply(Parse(current), new ConfigChangeRequest(false, transition, parsed), out var next);
        Assert.Equal(status, result);
        if (status == ConfigChangeStatus.Accepted)
        {
            Assert.Equal(Parse(expected), next);
        }
    }

    [Fact]
    public void LeavingTheJointState_KeepsTheIncomingVotersAndLearners_AndIsRefusedWhenNotJoint()
    {
        Assert.Equal(ConfigChangeStatus.Accepted, ConfigChanger.TryApply(Parse("v=2,3,4 o=1,2,3 l=5 auto"), ConfigChangeRequest.Leave, out var next));
        Assert.Equal(Parse("v=2,3,4 l=5"), next);
        Assert.Equal(ConfigChangeStatus.Invalid, ConfigChanger.TryApply(Parse("v=1,2,3"), ConfigChangeRequest.Leave, out _));
    }

    [Fact]
    public void ConfigEntryCodec_RoundTripsChangesAndLeave()
    {
        var request = new ConfigChangeRequest(false, ConfigTransition.Joint,
            [new ConfigChange(ConfigChangeType.AddVoter, 4), new ConfigChange(ConfigChangeType.RemoveNode, int.MaxValue), new ConfigChange(ConfigChangeType.AddLearner, 9)]);
        Assert.True(ConfigChangeCodec.TryDecode(ConfigChangeCodec.Encode(request), out var decoded));
        Assert.Equal(request.Transition, decoded.Transition);
        Assert.Equal(request.Changes, decoded.Changes);
        Assert.False(decoded.LeaveJoint);
        Assert.True(ConfigChangeCodec.TryDecode(ConfigChangeCodec.Encode(ConfigChangeRequest.Leave), out decoded));
        Assert.True(decoded.LeaveJoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("010001")] // no change
    [InlineData("0102010100000000")] // transition 2 does not exist
    [InlineData("0100010400000000")] // change type 4 does not exist
    [InlineData("0100010100000000ff")] // a byte too many
    [InlineData("01000201000000ff")] // count 2, one change
    [InlineData("0200")] // leave with a tail
    [InlineData("03")]
    public void ConfigEntryCodec_RefusesMalformedPayloads(string hex)
    {
        Assert.False(ConfigChangeCodec.TryDecode(Convert.FromHexString(hex), out _));
    }

    [Theory]
    [InlineData("v=1,2,3", true)]
    [InlineData("v=3,2,1", false)] // the core keeps lists ascending
    [InlineData("v=1,2,2", false)]
    [InlineData("v=0,1", false)]
    [InlineData("v=1,2,3 l=3", false)] // a learner is no voter
    [InlineData("v=1,2,3 o=3,4 l=4", false)]
    [InlineData("v=1,2,3 auto", false)] // auto-leave only when joint
    [InlineData("v=1 o=2 l=3 auto", true)]
    public void ConfigState_IsWellFormed_ChecksItsInvariants(string config, bool expected)
    {
        Assert.Equal(expected, Parse(config).IsWellFormed());
    }
}
