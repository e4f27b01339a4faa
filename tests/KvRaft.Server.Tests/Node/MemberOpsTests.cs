// Goal: the membership ops of the client protocol on one node: a change is answered Ok once applied (or at once when
// already done), refused clearly otherwise; the member list shows roles, match and addresses; the member directory the
// Config entries build is rebuilt when the node restarts, from the log or from a snapshot of it. Method: a one-node
// KvNode over the in-memory twins (SingleNode), driven as a client would; a restart is a new KvNode over the same stores.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

public sealed class MemberOpsTests
{
    private static ClientRequest AddLearner(int id, string peer = "10.0.0.2:7002", string client = "10.0.0.2:8002") =>
        new() { Op = ClientOp.AddLearner, TargetNodeId = id, PeerAddress = peer, ClientAddress = client };

    [Fact]
    public void Member_changes_are_answered_once_applied_or_when_already_done_and_refused_clearly_otherwise()
    {
        var node = new SingleNode();
        Assert.Equal(ClientStatus.Ok, node.Call(AddLearner(2)).Status);
        Assert.True(node.Node.Config.IsLearner(2));
        Assert.Equal(ClientStatus.Ok, node.Call(AddLearner(2)).Status); // the same learner again: done
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(AddLearner(2, peer: "10.0.0.9:7002")).Status); // other addresses
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(AddLearner(0)).Status);
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(AddLearner(3, peer: "no-port")).Status);
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(AddLearner(3, client: "a b:1")).Status);
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(new ClientRequest { Op = ClientOp.PromoteLearner, TargetNodeId = 9 }).Status); // no learner
        Assert.Equal(ClientStatus.Ok, node.Call(new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = 9 }).Status); // no member: done
        var last = node.Call(new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = 1 });
        Assert.Equal(ClientStatus.InvalidArgument, last.Status);
        Assert.Contains("no voter", last.Message);

        var listing = node.Call(new ClientRequest { Op = ClientOp.MemberList }).Members!;
        Assert.True(listing.Leading);
        Assert.Equal([1], listing.InitialVoters);
        Assert.Equal(new[] { 1, 2 }, listing.Members.Select(member => member.NodeId));
        Assert.Equal(MemberRoles.Voter, listing.Members[0].Roles);
        Assert.Equal(listing.LastIndex, listing.Members[0].MatchIndex);
        Assert.Equal(new MemberInfo { NodeId = 2, Roles = MemberRoles.Learner, MatchIndex = 0, PeerAddress = "10.0.0.2:7002", ClientAddress = "10.0.0.2:8002" }, listing.Members[1]);
    }

    [Fact]
    public void A_learners_addresses_enter_the_directory_and_leave_it_with_its_removal()
    {
        var node = new SingleNode();
        Assert.Equal(ClientStatus.Ok, node.Call(AddLearner(2)).Status);
        Assert.True(node.Node.Directory.TryGet(2, out var learner));
        Assert.Equal("10.0.0.2:7002", learner.PeerAddress);
        Assert.False(node.Node.Directory.TryGet(1, out _)); // an initial voter's address stays its --peers one
        Assert.Equal(ClientStatus.Ok, node.Call(new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = 2 }).Status);
        Assert.Empty(node.Node.Directory.Members); // a removed member's addresses are forgotten
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_member_directory_survives_a_restart_from_the_log_or_from_a_snapshot(bool snapshot)
    {
        var node = new SingleNode(new ServerLimits { SnapshotAfterLogBytes = 1, CompactionLagEntries = 0, CompactionLagBytes = 0 });
        Assert.Equal(ClientStatus.Ok, node.Call(AddLearner(2)).Status);
        node.Register(); // an entry after the change
        if (snapshot)
        {
            Assert.True(node.Node.TryStartSnapshot(out var configuration));
            node.Node.OnSnapshotTaken(await node.Machine.TakeSnapshotAsync(configuration));
            Assert.True(node.Log.FirstIndex > 2, "the log still holds the change");
        }

        var restarted = new KvNode(new KvNodeOptions { Cluster = new ClusterInfo(1, new Dictionary<int, string>()), Voters = [1], Seed = 2 },
            node.Log, node.Machine, new NoPeers(), new SingleNodeOutbox(), NullLogger.Instance);

        Assert.True(restarted.Config.IsLearner(2));
        Assert.Equal(node.Node.Directory.Members, restarted.Directory.Members);
        Assert.Equal("10.0.0.2:8002", restarted.ClientAddressOf(2));
    }

    private sealed class SingleNodeOutbox : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) { }

        public void Flush() { }
    }
}
