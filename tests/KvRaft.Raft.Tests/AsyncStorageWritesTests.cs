// Goal: with asynchronous storage writes a node answers, counts and applies only what is durable, and never hands the same write out twice; method: accept Readies, end their writes by hand.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class AsyncStorageWritesTests
{
    private static readonly NodeOptions Async = new() { AsyncStorageWrites = true, PreVote = false };

    /// <summary>Plays the host: accepts Readies at once and ends their writes, in order, when told.</summary>
    private sealed class Host(int id, int[] voters)
    {
        private readonly Queue<(Entry[] Entries, HardState? Hard, List<Message> After, PersistedMark Mark)> _writes = new();

        public MemoryStorage Storage { get; } = new(voters);
        public RaftNode Node { get; private set; } = null!;
        public List<Message> Sent { get; } = new();
        public List<Entry> Applied { get; } = new();
        public List<Entry> LastEntriesToWrite { get; private set; } = new();

        public Host Start()
        {
            Node = new RaftNode(Async.Build(id, Storage, new Prng(1)));
            return this;
        }

        public int WritesInFlight => _writes.Count;

        /// <summary>Takes every Ready; their writes stay in flight.</summary>
        public void Take()
        {
            while (Node.HasReady)
            {
                var ready = Node.GetReady();
                foreach (var message in ready.Messages)
                {
                    Sent.Add(TestNetwork.Owned(message));
                }

                Applied.AddRange(ready.CommittedEntries);
                LastEntriesToWrite = ready.Entries.ToList();
                var after = ready.MessagesAfterPersist.Select(TestNetwork.Owned).ToList();
                var write = (ready.Entries.ToArray(), ready.HardStateChanged ? ready.HardState : (HardState?)null, after, default(PersistedMark));
                write.Item4 = Node.AcceptReady();
                _writes.Enqueue(write);
            }
        }

        /// <summary>Ends the oldest <paramref name="count"/> writes (all by default), then takes what follows.</summary>
        public void EndWrites(int count = int.MaxValue)
        {
            for (var i = 0; i < count && _writes.Count > 0; i++)
            {
                var (entries, hard, after, mark) = _writes.Dequeue();
                if (entries.Length > 0)
                {
                    Storage.Append(entries);
                }

                if (hard is { } state)
                {
                    Storage.SetHardState(state);
                }

                Sent.AddRange(after);
                Node.OnPersisted(mark);
            }
            Take();
        }

        public void Step(Message message)
        {
            message.To = id;
            Node.Step(message);
            Take();
        }
    }

    [Fact]
    public void AFollowerAnswersAnAppendOnlyAfterItsWriteEnds_AndDoesNotHandOutTheSameEntriesAgain()
    {
        var follower = new Host(2, [1, 2, 3]).Start();
        follower.Step(Solo.Append(1, 1, 0, 0, 0, Data.E(1, 1), Data.E(2, 1)));
        Assert.Equal([1L, 2L], follower.LastEntriesToWrite.Select(e => e.Index));
        Assert.DoesNotContain(follower.Sent, m => m.Type == MessageType.AppendResponse);

        follower.Step(Solo.Append(1, 1, 2, 1, 0, Data.E(3, 1)));
        Assert.Equal([3L], follower.LastEntriesToWrite.Select(e => e.Index));
        Assert.Empty(follower.Sent);
        Assert.Equal(2, follower.WritesInFlight);

        follower.EndWrites(1);
        var first = Assert.Single(follower.Sent);
        Assert.Equal((MessageType.AppendResponse, 2L, false), (first.Type, first.Index, first.Reject));
        follower.EndWrites(1);
        Assert.Equal(3, follower.Sent[^1].Index);
        Assert.Equal(3, follower.Storage.LastIndex);
        Assert.False(follower.Node.HasReady);
    }

    [Fact]
    public void ALeaderCountsItsOwnCopyOnlyOnceDurable_AndAppliesOnlyWhatIsDurableHere()
    {
        var leader = new Host(1, [1, 2, 3]).Start();
        leader.Node.Campaign();
        leader.Take();
        leader.EndWrites();
        leader.Step(new Message { Type = MessageType.VoteResponse, From = 2, Term = leader.Node.Term });
        leader.EndWrites();
        leader.Step(new Message { Type = MessageType.AppendResponse, From = 2, Term = leader.Node.Term, Index = 1 });
        leader.EndWrites();
        Assert.Equal(1, leader.Node.Committed);

        Assert.Equal(ProposeStatus.Accepted, leader.Node.Propose([Data.Payload(7)], out var index));
        leader.Take();
        Assert.Equal(2, index);
        leader.Step(new Message { Type = MessageType.AppendResponse, From = 2, Term = leader.Node.Term, Index = 2 });
        Assert.Equal(1, leader.Node.Committed); // one durable copy of three: the leader's own is still being written

        leader.Step(new Message { Type = MessageType.AppendResponse, From = 3, Term = leader.Node.Term, Index = 2 });
        Assert.Equal(2, leader.Node.Committed); // both followers: a quorum without the leader
        Assert.DoesNotContain(leader.Applied, e => e.Index == 2); // but not durable here yet: not applied

        leader.EndWrites();
        Assert.Contains(leader.Applied, e => e.Index == 2 && Data.Value(e) == 7);
    }

    [Fact]
    public void EntriesReplacedWhileBeingWrittenAreHandedOutAgain_AndTheOldWriteEndingDoesNotMarkThemStable()
    {
        var follower = new Host(2, [1, 2, 3]).Start();
        follower.Step(Solo.Append(1, 1, 0, 0, 0, Data.E(1, 1), Data.E(2, 1), Data.E(3, 1)));
        follower.Step(Solo.Append(3, 2, 1, 1, 0, Data.E(2, 2)));
        Assert.Equal([(2L, 2L)], follower.LastEntriesToWrite.Select(e => (e.Index, e.Term)));

        follower.EndWrites(1); // 1..3 in term 1 are durable, but 2..3 were replaced meanwhile
        Assert.False(follower.Node.HasReady);
        Assert.Equal(1, follower.WritesInFlight);
        follower.EndWrites(1);
        Assert.Equal(2, follower.Storage.LastIndex);
        Assert.True(follower.Storage.TryGetTerm(2, out var term));
        Assert.Equal(2, term);
        Assert.False(follower.Node.HasReady);
    }

    [Fact]
    public void AdvanceIsRefusedWithAsynchronousWrites()
    {
        var follower = new Host(2, [1, 2, 3]).Start();
        follower.Node.Step(Solo.Append(1, 1, 0, 0, 0, Data.E(1, 1)) with { To = 2 });
        follower.Node.GetReady();
        Assert.Throws<InvariantException>(follower.Node.Advance);
    }
}
