// Goal: the configuration stored with snapshots keeps voters, outgoing voters, learners and auto-leave, reads the
// voters-only form earlier builds wrote, and refuses damaged bytes; method: encode/decode round trips and hand-made bytes.
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Node;

public sealed class ClusterMembershipTests
{
    [Fact]
    public void VotersOnly_AreWrittenInTheEarlierForm_AndReadBack()
    {
        var bytes = ClusterMembership.Encode(new ConfigState([1, 2, 3]));
        Assert.Equal(Convert.FromHexString("0300010000000200000003000000"), bytes);
        Assert.Equal(new ConfigState([1, 2, 3]), ClusterMembership.Decode(bytes));
    }

    [Fact]
    public void JointConfigurationWithLearners_RoundTrips()
    {
        var config = new ConfigState([1, 2, 4]) { VotersOutgoing = [1, 2, 3], Learners = [5, 6], AutoLeave = true };
        Assert.True(ClusterMembership.TryDecode(ClusterMembership.Encode(config), out var decoded));
        Assert.Equal(config, decoded);
        Assert.True(ClusterMembership.TryDecode([], out decoded));
        Assert.Null(decoded);
    }

    [Theory]
    [InlineData("03")] // a count cut short
    [InlineData("0200010000000200")] // fewer ids than counted
    [InlineData("020001000000010000")] // an id twice
    [InlineData("01000100000000000100000001000000")] // learner 1 is a voter (no auto-leave byte either)
    [InlineData("0100010000000000000002")] // auto-leave byte 2
    [InlineData("010001000000000000000001")] // auto-leave without a joint state
    public void DamagedBytes_AreRefused(string hex)
    {
        Assert.False(ClusterMembership.TryDecode(Convert.FromHexString(hex), out _));
    }
}
