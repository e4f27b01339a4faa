using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Simulation;

/// <summary>
/// An attacker on the simulated network: each tick it delivers forged peer messages and snapshot chunks to random
/// nodes, through the network's delays: from senders that do not exist, from an impostor on another node's
/// connection, and copies of recent genuine messages with a field made impossible (a term beyond TermMax, a negative
/// index, entries that do not follow the Append's index, a log term above the message's term, an unknown context,
/// entries or snapshot metadata on the wrong type). Every one must be refused, and the run's safety checks hold
/// throughout. It draws from its own PRNG: the run's fault schedule is the same with and without forgeries.
/// </summary>
internal sealed class SimForger(Simulation simulation, Prng random)
{
    private const int RecentMax = 64;
    private readonly List<byte[]> _recent = new(); // formatted genuine messages: the forger's material

    /// <summary>A genuine message the network formatted: kept (a bounded few) as material for forgeries.</summary>
    public void Observe(byte[] formatted)
    {
        if (_recent.Count < RecentMax)
        {
            _recent.Add(formatted);
        }
        else
        {
            _recent[random.Next(RecentMax)] = formatted;
        }
    }

    public void Inject(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var to = 1 + random.Next(simulation.NodeCount);
            if (random.Chance(0.1))
            {
                ForgeChunk(to);
            }
            else
            {
                ForgeMessage(to);
            }
        }
    }

    private void ForgeMessage(int to)
    {
        var message = _recent.Count > 0 && random.Chance(0.8) ? Recent() : Random(to);
        message = message with { To = to };
        string forgery;
        var sender = message.From;
        switch (random.Next(3))
        {
            case 0:
                sender = ImpossibleSender(to);
                message = message with { From = sender };
                forgery = $"{message.Type} from impossible sender {sender}";
                break;
            case 1:
                sender = OtherNode(except: message.From);
                forgery = $"{message.Type} from n{message.From} on n{sender}'s connection";
                break;
            default:
                if (message.From == to)
                {
                    message = message with { From = OtherNode(except: to) };
                }

                sender = message.From;
                (message, forgery) = Mutate(message);
                break;
        }
        var forged = message;
        simulation.Network.ScheduleForged(random, () =>
            simulation.Host(to).Deliver(node => simulation.Host(to).OnForgedInput(forgery, node.OnPeerMessage(sender, forged))));
    }

    private (PeerMessage Message, string Forgery) Mutate(PeerMessage message)
    {
        long small = 1 + random.Next(1000);
        switch (random.Next(9))
        {
            case 0: return (message with { Term = RaftNode.TermMax + small }, "term beyond TermMax");
            case 1: return (message with { Term = -small }, "negative term");
            case 2: return (message with { Index = -small }, "negative index");
            case 3: return (message with { Commit = -small }, "negative commit");
            case 4: return (message with { To = OtherNode(except: message.To) }, "addressed to another node");
            case 5:
                return (message with { Type = PeerMessageType.Append, LogTerm = message.Term + small, Entries = default, Snapshot = null }, "append with a previous term above its term");
            case 6: return (message with { Type = PeerMessageType.Vote, Context = 2 + small }, "vote with an unknown context");
            case 7: return (message with { Type = PeerMessageType.Snapshot, Snapshot = null, Entries = default }, "snapshot without metadata");
            default:
                var entry = new WireEntry(message.Index + 1 + small, Math.Max(1, message.Term), Protocol.EntryType.NoOp, default);
                var type = random.Chance(0.5) ? PeerMessageType.Append : PeerMessageType.Heartbeat;
                return (message with { Type = type, LogTerm = 0, Entries = EntryList.From(new[] { entry }), Snapshot = null }, $"{type} with an entry out of place");
        }
    }

    private void ForgeChunk(int to)
    {
        var nonVoter = random.Chance(0.5);
        var sender = nonVoter ? ImpossibleSender(to) : OtherNode(except: to);
        var payload = new byte[1 + random.Next(64)];
        var chunk = new WireSnapshotChunk
        {
            SnapshotIndex = 1 + random.Next(100),
            SnapshotTerm = 1 + random.Next(10),
            UncompressedBytes = payload.Length,
            Payload = payload,
        };
        string forgery;
        if (nonVoter)
        {
            forgery = $"snapshot chunk from impossible sender {sender}";
        }
        else if (random.Chance(0.5))
        {
            (chunk, forgery) = (chunk with { Compressed = true, UncompressedBytes = 4 << 20 }, "snapshot chunk claiming compression");
        }
        else
        {
            (chunk, forgery) = (chunk with { Offset = ulong.MaxValue - (ulong)random.Next(1000) }, "snapshot chunk beyond SnapshotBytesMax");
        }

        simulation.Network.ScheduleForged(random, () =>
            simulation.Host(to).Deliver(node => simulation.Host(to).OnForgedInput(forgery, node.OnSnapshotChunk(sender, chunk))));
    }

    private PeerMessage Recent()
    {
        var bytes = _recent[random.Next(_recent.Count)];
        Invariant.True(PeerMessageCodec.Parse(bytes, out var message).IsOk);
        return message; // views into bytes, which nobody writes again
    }

    private PeerMessage Random(int to) => new()
    {
        Type = (PeerMessageType)random.Next((int)PeerMessageType.ReadIndexResponse + 1),
        From = OtherNode(except: to),
        To = to,
        Term = random.Next(20),
        LogTerm = random.Next(20),
        Index = random.Next(100),
        Commit = random.Next(100),
        Context = random.Next(3),
    };

    // No correct peer has it: an id not positive, or the receiver's own. (Any other positive id may be a member this
    // node does not know yet: docs/design.md, "Membership".)
    private int ImpossibleSender(int to) => random.Next(3) switch
    {
        0 => 0,
        1 => -1 - random.Next(1000),
        _ => to,
    };

    private int OtherNode(int except)
    {
        var node = 1 + random.Next(simulation.NodeCount - 1);
        return node >= except ? node + 1 : node;
    }
}
