// Goal: the membership ops of the client protocol (member list, add-learner, promote, remove) have the layouts
// docs/wire-format.md gives and refuse what no correct peer writes; method: hand-built bodies (the round trips and fuzzing
// of every op are in ClientProtocolTests, whose generators cover these ops).
namespace KvRaft.Protocol.Tests;

public class MemberProtocolTests
{
    [Fact]
    public void AddLearnerRequest_IsTheNodeIdThenThePeerAndClientAddresses()
    {
        var bytes = Codecs.ClientRequest.Encode(new ClientRequest { RequestId = 1, Op = ClientOp.AddLearner, TargetNodeId = 4, PeerAddress = "h:1", ClientAddress = "h:2" });
        Assert.Equal(Convert.FromHexString("0100000000000000" + "0A" + "04000000" + "0300" + "683A31" + "0300" + "683A32"), bytes);
    }

    [Fact]
    public void MemberListRequest_RefusesAViewFlagOtherThanZeroOrOne()
    {
        var bytes = Codecs.ClientRequest.Encode(new ClientRequest { RequestId = 1, Op = ClientOp.MemberList, LocalView = true });
        Assert.Equal(1, bytes[^1]);
        bytes[^1] = 2;
        Assert.Equal(ProtocolError.Malformed, ClientRequestCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void MemberListAnswer_CarriesEachMembersRolesMatchAndAddresses()
    {
        var listing = new MemberListing
        {
            NodeId = 2,
            ClusterId = 0xC1A5,
            InitialVoters = [1, 2, 3],
            Leading = true,
            Joint = true,
            LastIndex = 9,
            Members = [new MemberInfo { NodeId = 1, Roles = MemberRoles.Voter | MemberRoles.OutgoingVoter, MatchIndex = 9, PeerAddress = "a:1", ClientAddress = "a:2" },
                new MemberInfo { NodeId = 4, Roles = MemberRoles.Learner, MatchIndex = 0 }],
        };
        var response = new ClientResponse { RequestId = 5, Op = ClientOp.MemberList, Status = ClientStatus.Ok, Members = listing };
        var bytes = Codecs.ClientResponse.Encode(response);
        var expected = "0500000000000000" + "09" + "00" + "02000000" + "A5C1000000000000" + "03" + "0900000000000000"
            + "03" + "010000000200000003000000" + "02"
            + "01000000" + "03" + "0900000000000000" + "0300613A31" + "0300613A32"
            + "04000000" + "04" + "0000000000000000" + "0000" + "0000";
        Assert.Equal(Convert.FromHexString(expected), bytes);
        Codecs.ClientResponse.AssertRoundTrip(response);
    }

    [Theory]
    [InlineData(22, 0x04)] // flags with a reserved bit
    [InlineData(37, 0x00)] // a member with no role
    [InlineData(37, 0x08)] // a role with a reserved bit
    [InlineData(32, 65)] // more members than a configuration holds
    public void MemberListAnswer_RefusesReservedBitsAndTooManyMembers(int offset, int value)
    {
        var listing = new MemberListing { NodeId = 2, Members = [new MemberInfo { NodeId = 1, Roles = MemberRoles.Voter }] };
        var bytes = Codecs.ClientResponse.Encode(new ClientResponse { RequestId = 5, Op = ClientOp.MemberList, Status = ClientStatus.Ok, Members = listing });
        bytes[offset] = (byte)value;
        Assert.NotEqual(ProtocolError.None, ClientResponseCodec.Parse(bytes, out _).Error);
    }
}
