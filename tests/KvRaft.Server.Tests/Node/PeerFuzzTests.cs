// Goal: whatever a peer sends, a KvNode never stops and keeps its own invariants (commit within its log and never
// back, term never back nor beyond TermMax), and still follows a correct leader afterwards; method: CsCheck generators,
// each case drawn from a fixed PCG seed (printed on failure), feed a follower or a leader of voters {1, 2, 3} a
// sequence of random peer messages and snapshot chunks (fields drawn around the interesting edges: 0, -1, the log's
// end, TermMax, long.MaxValue) mixed with plausible messages of its current term with one field mutated, from the
// right sender or an impostor, with ticks in between.
using CsCheck;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Node;

public sealed class PeerFuzzTests
{
    private const int Cases = 250;
    private const int InputsPerCase = 200;

    private static readonly Gen<long> Edge = Gen.OneOfConst(0L, 1L, 2L, 3L, -1L, RaftNode.TermMax, RaftNode.TermMax + 1, long.MaxValue, long.MinValue);

    /// <summary>A term or index: mostly small, sometimes an edge.</summary>
    private static readonly Gen<long> Number = Gen.Frequency((6, Gen.Long[0, 12]), (1, Edge), (1, Gen.Long));

    private static readonly Gen<int> NodeId = Gen.Frequency((8, Gen.Int[1, 3]), (1, Gen.OneOfConst(0, -1, 4, 99, int.MaxValue)));

    private static readonly Gen<WireEntry> AnyEntry =
        Gen.Select(Number, Number, Gen.Int[0, 2], Gen.Byte.Array[0, 12], (index, term, type, data) => new WireEntry(index, term, (Protocol.EntryType)type, data));

    private static readonly Gen<PeerMessage> AnyMessage =
        from type in Gen.Int[0, (int)PeerMessageType.ReadIndexResponse]
        from author in NodeId
        from to in Gen.Frequency((8, Gen.Const(0)), (1, NodeId)) // 0: addressed to the node under test
        from term in Number
        from logTerm in Number
        from index in Number
        from commit in Number
        from reject in Gen.Bool
        from hint in Number
        from context in Gen.Frequency((4, Gen.Long[0, 4]), (1, Edge))
        from entries in Gen.Frequency((3, Gen.Const(Array.Empty<WireEntry>())), (1, AnyEntry.Array[1, 4]))
        from snapshot in Gen.Frequency((3, Gen.Const((SnapshotMeta?)null)), (1, Gen.Select(Number, Number, Gen.Int[-1, 4].Array[0, 4], (i, t, v) => (SnapshotMeta?)new SnapshotMeta(i, t, v))))
        select new PeerMessage
        {
            Type = (PeerMessageType)type,
            From = author,
            To = to,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Commit = commit,
            Reject = reject,
            RejectHint = hint,
            Context = context,
            Entries = EntryList.From(entries),
            Snapshot = snapshot,
        };

    private static readonly Gen<WireSnapshotChunk> AnyChunk =
        from index in Number
        from term in Number
        from offset in Gen.Frequency((4, Gen.Const(0UL)), (1, Gen.ULong[0, 4096]), (1, Gen.ULong))
        from last in Gen.Bool
        from payload in Gen.Byte.Array[0, 64]
        select new WireSnapshotChunk { SnapshotIndex = index, SnapshotTerm = term, Offset = offset, Last = last, UncompressedBytes = payload.Length, Payload = payload };

    /// <summary>One input: a message (mutated from a plausible one, or random), a chunk, or ticks.</summary>
    private sealed record Input(int Kind, PeerMessage Message, WireSnapshotChunk Chunk, int Sender, int Mutation, long Value, int Ticks);

    private static readonly Gen<Input> AnyInput =
        from kind in Gen.Frequency((5, Gen.Const(0)), (4, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3)))
        from message in AnyMessage
        from chunk in AnyChunk
        from sender in Gen.Frequency((6, Gen.Const(0)), (1, NodeId)) // 0: the message's From
        from mutation in Gen.Int[0, 9]
        from value in Number
        from ticks in Gen.Int[1, 40]
        select new Input(kind, message, chunk, sender, mutation, value, ticks);

    private sealed record Case(bool Leader, Input[] Inputs)
    {
        public override string ToString() => $"{(Leader ? "leader" : "follower")}, {Inputs.Length} inputs";
    }

    private static readonly Gen<Case> AnyCase = Gen.Select(Gen.Bool, AnyInput.Array[InputsPerCase], (leader, inputs) => new Case(leader, inputs));

    [Fact]
    public void No_sequence_of_peer_input_stops_a_node_or_breaks_its_invariants()
    {
        const ulong seed = 0x9E37_79B9;
        for (var i = 0; i < Cases; i++)
        {
            var sample = AnyCase.Generate(new PCG(1, seed + (ulong)i), null, out _);
            try
            {
                Run(sample);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {i} (PCG seed {seed + (ulong)i}: {sample}) failed: {e}");
            }
        }
    }

    private static void Run(Case sample)
    {
        using var node = new PeerNode(id: sample.Leader ? 1 : 2, ownEntries: 5);
        if (sample.Leader)
        {
            node.BecomeLeaderInTerm2();
        }
        else
        {
            node.FollowLeader1InTerm2();
        }

        var before = node.Status;
        foreach (var input in sample.Inputs)
        {
            switch (input.Kind)
            {
                case 0:
                    Deliver(node, Plausible(node, input));
                    break;
                case 1:
                    Deliver(node, input.Message with { To = input.Message.To == 0 ? node.Id : input.Message.To }, input.Sender);
                    break;
                case 2:
                    node.DeliverChunk(input.Sender == 0 ? 1 : input.Sender, input.Chunk);
                    break;
                default:
                    node.Ticks(input.Ticks);
                    break;
            }
            var after = node.Status;
            Assert.True(after.Commit <= after.LastIndex, $"commit {after.Commit} beyond the log's last index {after.LastIndex}");
            Assert.True(after.Commit >= before.Commit, $"commit went back from {before.Commit} to {after.Commit}");
            Assert.True(after.Term >= before.Term && after.Term <= RaftNode.TermMax, $"term went from {before.Term} to {after.Term}");
            before = after;
        }
        StillFollowsACorrectLeader(node);
    }

    private static void Deliver(PeerNode node, PeerMessage message, int sender = 0) =>
        node.DeliverFrom(sender == 0 ? message.From : sender, message);

    /// <summary>A message a correct peer could send now, with one field (sometimes) set to <see cref="Input.Value"/>.</summary>
    private static PeerMessage Plausible(PeerNode node, Input input)
    {
        var status = node.Status;
        var peer = node.Id == 1 ? 2 + (input.Mutation % 2) : 1;
        var lastTerm = LastTerm(node);
        var message = (input.Message.Type, status.Role) switch
        {
            (_, Role.Leader) when input.Message.Type is PeerMessageType.AppendResponse or PeerMessageType.Append =>
                node.From(peer, PeerMessageType.AppendResponse, status.Term) with { Index = status.LastIndex, Reject = input.Message.Reject, RejectHint = status.LastIndex },
            (_, Role.Leader) => node.From(peer, PeerMessageType.HeartbeatResponse, status.Term) with { Index = 1, Context = input.Message.Context },
            (PeerMessageType.Heartbeat, _) => node.From(peer, PeerMessageType.Heartbeat, status.Term) with { Commit = status.Commit },
            (PeerMessageType.Vote or PeerMessageType.PreVote, _) =>
                node.From(3, input.Message.Type, status.Term + 1) with { Index = status.LastIndex, LogTerm = lastTerm, Context = input.Message.Context },
            _ => node.From(peer, PeerMessageType.Append, status.Term) with
            {
                Index = status.LastIndex,
                LogTerm = lastTerm,
                Commit = status.LastIndex + 1,
                Entries = EntryList.From(new[] { new WireEntry(status.LastIndex + 1, status.Term, Protocol.EntryType.NoOp, default) }),
            },
        };
        return input.Mutation switch
        {
            0 => message with { Term = input.Value },
            1 => message with { Index = input.Value },
            2 => message with { LogTerm = input.Value },
            3 => message with { Commit = input.Value },
            4 => message with { RejectHint = input.Value },
            5 => message with { Context = input.Value },
            6 => message with { Entries = input.Message.Entries },
            _ => message,
        };
    }

    private static long LastTerm(PeerNode node) => node.Log.TryGetTerm(node.Status.LastIndex, out var term) ? term : 0;

    /// <summary>A correct leader of a newer term can still replicate to the node (followers) or depose it (leaders).</summary>
    private static void StillFollowsACorrectLeader(PeerNode node)
    {
        var status = node.Status;
        if (status.Term >= RaftNode.TermMax)
        {
            return; // nothing above: nothing a leader could come with
        }

        var leader = node.Id == 1 ? 3 : 1;
        var term = status.Term + 1;
        node.Sent.Clear();
        node.DeliverFrom(leader, node.From(leader, PeerMessageType.Heartbeat, term));
        Assert.Equal(Role.Follower, node.Status.Role);
        Assert.Equal(term, node.Status.Term);
        Assert.Contains(node.Sent, m => m.Type == PeerMessageType.HeartbeatResponse && m.To == leader);
    }
}
