// Goal: log agreement under failures (6.5840 lab 3B) plus message-count bounds; method: TestNetwork with partitions, the lab's one() and message counts.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class AgreementScenarioTests
{
    private static int Follower(TestNetwork net, int leader, int skip = 0) =>
        net.Ids.Where(id => id != leader).Skip(skip).First();

    [Fact]
    public void BasicAgreement_CommitsOnEveryNode_AtConsecutiveIndexes()
    {
        var net = new TestNetwork(3, 101);
        net.CheckOneLeader();
        var previous = net.Node(net.ConnectedLeader()).LastIndex;
        for (var i = 1; i <= 3; i++)
        {
            var index = net.One(i * 100, 3, retry: false);
            Assert.True(index == previous + 1, $"index {index} after {previous} ({net.Tag})");
            previous = index;
        }
    }

    [Fact]
    public void SteadyState_SendsEachEntryOncePerFollower()
    {
        var net = new TestNetwork(3, 102);
        var leader = net.CheckOneLeader();
        net.Tick(3);
        var mark = net.Sent.Count;
        long first = 0;
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, i, out var index));
            if (i == 0)
            {
                first = index;
            }

            if (i % 5 == 0)
            {
                net.Tick();
            }
            else
            {
                net.Deliver();
            }
        }
        net.Tick(3);
        foreach (var follower in net.Ids.Where(id => id != leader))
        {
            var sent = net.SentSince(mark, MessageType.Append, follower).SelectMany(m => m.Entries.ToArray()).Select(e => e.Index).ToArray();
            Assert.True(sent.Length == 50, $"follower {follower} got {sent.Length} entries for 50 ({net.Tag})");
            Assert.Equal(Enumerable.Range(0, 50).Select(i => first + i), sent);
        }
        Assert.Equal(3, net.NCommitted(first + 49).Count);
    }

    [Fact]
    public void FollowerFailure_TwoOfThreeAgree_OneOfThreeDoesNot()
    {
        var net = new TestNetwork(3, 103);
        net.One(101, 3);
        var leader1 = net.CheckOneLeader();
        net.Isolate(Follower(net, leader1));
        net.One(102, 2);
        net.Tick(10);
        net.One(103, 2);
        var leader2 = net.CheckOneLeader();
        foreach (var id in net.Ids.Where(id => id != leader2))
        {
            net.Isolate(id);
        }

        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader2, 104, out var index));
        net.Tick(30);
        Assert.Equal(0, net.NCommitted(index).Count);
    }

    [Fact]
    public void LeaderFailure_NewLeaderAgrees_AndNothingCommitsWithoutQuorum()
    {
        var net = new TestNetwork(3, 104);
        net.One(101, 3);
        var leader1 = net.CheckOneLeader();
        net.Isolate(leader1);
        net.One(102, 2);
        net.Tick(10);
        net.One(103, 2);
        var leader2 = net.CheckOneLeader();
        net.Isolate(leader2);
        var indexes = new List<long>();
        foreach (var id in net.Ids)
        {
            if (net.Propose(id, 104, out var index) == ProposeStatus.Accepted)
            {
                indexes.Add(index);
            }
        }
        net.Tick(30);
        foreach (var index in indexes)
        {
            Assert.True(net.NCommitted(index).Count <= 1, net.Tag);
        }
    }

    [Fact]
    public void FailAgree_DisconnectedFollowerCatchesUpOnReconnect()
    {
        var net = new TestNetwork(3, 105);
        net.One(101, 3);
        var leader = net.CheckOneLeader();
        var follower = Follower(net, leader);
        net.Isolate(follower);
        for (var v = 102; v <= 105; v++)
        {
            net.One(v, 2);
        }

        net.Tick(10);
        net.Connect(follower);
        net.One(106, 3);
        net.Tick(5);
        net.One(107, 3);
    }

    [Fact]
    public void FailNoAgree_MinorityLeaderCommitsNothing_ThenMajorityAgrees()
    {
        var net = new TestNetwork(5, 106);
        net.One(10, 5);
        var leader = net.CheckOneLeader();
        var followers = net.Ids.Where(id => id != leader).ToArray();
        foreach (var id in followers.Take(3))
        {
            net.Isolate(id);
        }

        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, 20, out var index));
        net.Tick(20);
        Assert.Equal(0, net.NCommitted(index).Count);
        net.Heal();
        var leader2 = net.CheckOneLeader();
        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader2, 30, out var index2));
        Assert.True(index2 <= index + 2, $"index {index2} after {index} ({net.Tag})");
        net.One(1000, 5);
    }

    [Fact]
    public void ConcurrentStarts_AllCommitAtDistinctIndexes()
    {
        var net = new TestNetwork(3, 107);
        var leader = net.CheckOneLeader();
        var indexes = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, 100 + i, out var index));
            indexes.Add(index);
        }
        net.Deliver();
        Assert.Equal(5, indexes.Distinct().Count());
        var values = indexes.Select(index => net.NCommitted(index)).ToArray();
        Assert.All(values, v => Assert.Equal(3, v.Count));
        Assert.Equal(Enumerable.Range(100, 5), values.Select(v => v.Value));
    }

    [Fact]
    public void Rejoin_PartitionedLeaderDiscardsItsUncommittedEntries()
    {
        var net = new TestNetwork(3, 108);
        net.One(101, 3);
        var leader1 = net.CheckOneLeader();
        net.Isolate(leader1);
        for (var v = 102; v <= 104; v++)
        {
            net.Propose(leader1, v, out _);
        }

        net.One(103, 2);
        var leader2 = net.CheckOneLeader();
        net.Isolate(leader2);
        net.Connect(leader1);
        net.One(104, 2);
        net.Heal();
        net.One(105, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void Backup_DivergentLogsOfFiftyEntries_AreRepaired()
    {
        var net = new TestNetwork(5, 109);
        var random = new Prng(109);
        net.One(random.Next(1000), 5);
        var leader1 = net.CheckOneLeader();
        var others = net.Ids.Where(id => id != leader1).ToArray();
        net.Partition(new[] { leader1, others[0] }, others[1..]);
        for (var i = 0; i < 50; i++)
        {
            net.Propose(leader1, random.Next(1000), out _);
        }

        net.Tick(5);
        net.Heal();
        net.Partition(new[] { leader1, others[0] }); // the other three form the main group
        for (var i = 0; i < 50; i++)
        {
            net.One(random.Next(1000), 3);
        }

        var leader2 = net.CheckOneLeader();
        var other = others[1..].First(id => id != leader2);
        net.Isolate(other);
        for (var i = 0; i < 50; i++)
        {
            net.Propose(leader2, random.Next(1000), out _);
        }

        net.Tick(5);
        net.Heal();
        foreach (var id in net.Ids.Where(id => id != leader1 && id != others[0] && id != other))
        {
            net.Isolate(id);
        }

        for (var i = 0; i < 50; i++)
        {
            net.One(random.Next(1000), 3);
        }

        net.Heal();
        net.One(random.Next(1000), 5);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void DivergentFollowerWithSixtyEntries_IsRepairedInAtMostTwoRejections()
    {
        var net = new TestNetwork(3, 110);
        var leader1 = net.CheckOneLeader();
        net.Isolate(leader1);
        for (var i = 0; i < 60; i++)
        {
            net.Propose(leader1, 5000 + i, out _); // term t1, never committed
        }

        net.Tick(30); // it loses check-quorum and steps down; the others elect a leader of a later term
        for (var i = 0; i < 60; i++)
        {
            net.One(i, 2);
        }

        var leader2 = net.CheckOneLeader();
        var mark = net.Sent.Count;
        net.Heal();
        Assert.True(net.TickUntil(() => net.Node(leader1).Committed == net.Node(leader2).Committed, 50), net.Tag);
        var rejections = net.SentSince(mark, MessageType.AppendResponse, leader2).Count(m => m.From == leader1 && m.Reject);
        var appends = net.SentSince(mark, MessageType.Append, leader1).Count(m => m.Entries.Length > 0);
        Assert.True(rejections <= 2, $"{rejections} rejections ({net.Tag})");
        Assert.True(appends <= 2, $"{appends} Appends with entries ({net.Tag})");
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void MessageCounts_ElectionAndAgreementStayWithinBounds()
    {
        var net = new TestNetwork(3, 111);
        net.TickUntil(() => net.ConnectedLeader() != 0);
        Assert.True(net.Sent.Count < 40, $"{net.Sent.Count} messages to elect ({net.Tag})");
        var leader = net.ConnectedLeader();
        net.Tick(2);

        var mark = net.Sent.Count;
        for (var i = 0; i < 10; i++)
        {
            net.Propose(leader, i, out _);
            net.Deliver();
        }
        var perAgreement = (net.Sent.Count - mark) / 10;
        // Append and ack to each follower, then the commit index and its ack: 8 for three nodes.
        Assert.True(perAgreement <= 8, $"{perAgreement} messages per agreement ({net.Tag})");

        mark = net.Sent.Count;
        net.Tick(10);
        Assert.True(net.Sent.Count - mark <= 10 * 4, $"{net.Sent.Count - mark} messages idle for 10 ticks ({net.Tag})");

        mark = net.Sent.Count;
        var batch = Enumerable.Range(0, 64).Select(i => Data.Payload(i)).ToArray();
        net.Node(leader).Propose(batch, out _);
        net.Process(leader);
        net.Deliver();
        Assert.Equal(2, net.SentSince(mark, MessageType.Append).Count(m => m.Entries.Length == 64));
    }
}
