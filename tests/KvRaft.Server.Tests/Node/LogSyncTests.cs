// Goal: a node waits for a durable log write only when Raft needs one (entries, a new term or vote), not for a hard state that moved only its commit index; method: a one-node KvNode over the in-memory log twin, driven Ready by Ready (each log write reported durable at once), recording which Readies asked for a commit.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

public sealed class LogSyncTests
{
    [Fact]
    public void Commit_index_alone_is_appended_but_not_waited_for()
    {
        var node = new OneNode();
        for (var i = 0; i < 100 && node.Node.RaftStatus.Role != Role.Leader; i++)
        {
            node.Turn();
        }

        Assert.Equal(Role.Leader, node.Node.RaftStatus.Role);
        Assert.Contains(node.Readies, ready => ready.MustCommit && ready.TermOrVoteChanged); // the election's term and vote are waited for

        node.Readies.Clear();
        node.Node.OnClientRequest(1, new ClientRequest { RequestId = 7, Op = ClientOp.RegisterSession });
        node.Turn();

        // The session's entry is written and waited for; then the commit index moves on its own, appended, not waited for.
        Assert.Contains(node.Readies, ready => ready.MustCommit && ready.Entries > 0);
        var commitOnly = Assert.Single(node.Readies, ready => ready.Entries == 0 && ready.HardStateChanged);
        Assert.False(commitOnly.MustCommit);
        Assert.Equal(node.Log.LastIndex, node.Log.HardState.Commit); // appended to the store all the same
        Assert.Equal(1, node.OkAnswers); // and the session was answered
    }

    private readonly record struct ReadyRecord(bool MustCommit, int Entries, bool HardStateChanged, bool TermOrVoteChanged);

    /// <summary>A one-node cluster whose Readies are taken by hand and described before the node handles each.</summary>
    private sealed class OneNode
    {
        private readonly Answers _answers = new();

        public OneNode()
        {
            Node = new KvNode(new KvNodeOptions
            {
                Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
                Voters = new[] { 1 },
                Seed = 1,
            }, Log, new MemoryKvStateMachine(), new NoPeers(), _answers, NullLogger.Instance);
        }

        public MemoryRaftLogStore Log { get; } = new();

        public KvNode Node { get; }

        public List<ReadyRecord> Readies { get; } = [];

        public int OkAnswers => _answers.Ok;

        public void Turn()
        {
            Node.OnTick();
            Node.EndTurn();
            for (var round = 0; round < 10; round++)
            {
                var before = Log.HardState;
                var lastBefore = Log.LastIndex;
                if (!Node.TryAcceptReady(out var mustCommit))
                {
                    return;
                }

                var after = Log.HardState;
                Readies.Add(new ReadyRecord(mustCommit, (int)(Log.LastIndex - lastBefore), after != before,
                    after.Term != before.Term || after.Vote != before.Vote));
                if (mustCommit)
                {
                    Node.OnLogWriteDurable();
                }
            }
        }
    }

    private sealed class Answers : IClientOutbox
    {
        public int Ok { get; private set; }

        public void Reply(long connectionId, in ClientResponse response)
        {
            if (response.Status == ClientStatus.Ok)
            {
                Ok++;
            }
        }

        public void Flush() { }
    }
}
