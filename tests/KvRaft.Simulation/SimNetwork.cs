using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Simulation;

/// <summary>
/// The simulated network: every peer message travels in its wire format (formatted at send, parsed at delivery),
/// with a delay drawn per message (so messages reorder), loss, duplication, rare long delays (beyond an election
/// timeout) and directed cuts (partitions, one-way or both). A snapshot travels as a flow-controlled stream, its
/// chunks in order and then the Snapshot message, like on one connection; a stream may break part-way
/// (<see cref="SimSnapshotStream"/>). Clients reach every node
/// (partitions cut nodes from nodes), through the same delays and loss.
/// </summary>
internal sealed class SimNetwork(Simulation simulation, Prng random)
{
    private readonly SortedDictionary<long, List<Action>> _due = new();
    private readonly HashSet<(int From, int To)> _cut = new();

    public double DropProbability { get; set; }

    public double DuplicateProbability { get; set; }

    public double LongDelayProbability { get; set; }

    public int DelayTicksMax { get; set; } = 2;

    public bool IsPartitioned => _cut.Count > 0;

    public void Cut(int from, int to) => _cut.Add((from, to));

    public void Heal() => _cut.Clear();

    public bool IsCut(int from, int to) => _cut.Contains((from, to));

    public void Send(int from, in PeerMessage message)
    {
        var to = message.To;
        if (IsCut(from, to) || random.Chance(DropProbability))
        {
            return;
        }

        var bytes = new byte[PeerMessageCodec.Size(message)]; // the sender reuses its buffers once Send returns
        PeerMessageCodec.Format(message, bytes);
        simulation.Forger?.Observe(bytes);
        var copies = random.Chance(DuplicateProbability) ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            Schedule(() =>
            {
                if (IsCut(from, to))
                {
                    return;
                }

                var parsed = PeerMessageCodec.Parse(bytes, out var received);
                Invariant.True(parsed.IsOk, parsed.Message);
                simulation.Trace($"deliver n{from}->n{to} {received.Type} t{received.Term} i{received.Index} c{received.Commit} e{received.Entries.Count}");
                simulation.Host(to).Deliver(node => simulation.Host(to).OnPeerInput(from, node.OnPeerMessage(from, received)));
            });
        }
    }

    /// <summary>A snapshot stream from <paramref name="from"/>: one attempt of <paramref name="transfer"/> (see <see cref="SimSnapshotStream"/>).</summary>
    public void SendSnapshot(int from, in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) =>
        new SimSnapshotStream(simulation, from, message, snapshot, transfer).Start();

    /// <summary><paramref name="message"/> as its receiver reads it: formatted, then parsed.</summary>
    public PeerMessage ParsedCopy(in PeerMessage message)
    {
        var bytes = new byte[PeerMessageCodec.Size(message)];
        PeerMessageCodec.Format(message, bytes);
        simulation.Forger?.Observe(bytes);
        Invariant.True(PeerMessageCodec.Parse(bytes, out var received).IsOk);
        return received;
    }

    /// <summary>A client request to a node, in its wire format, from a connection of <paramref name="identity"/> (0: none).</summary>
    public void SendRequest(int node, long connectionId, in ClientRequest request, ulong identity)
    {
        if (random.Chance(DropProbability))
        {
            return;
        }

        var frame = new byte[ClientRequestCodec.FrameSize(request)];
        ClientRequestCodec.FormatFrame(request, frame);
        Schedule(() =>
        {
            Invariant.True(ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var received).IsOk);
            simulation.Host(node).Deliver(target => target.OnClientRequest(connectionId, received, identity));
        });
    }

    /// <summary>A node's answer to a client, in its wire format.</summary>
    public void SendResponse(int node, long connectionId, in ClientResponse response)
    {
        if (random.Chance(DropProbability))
        {
            return;
        }

        var frame = new byte[ClientResponseCodec.FrameSize(response)];
        ClientResponseCodec.FormatFrame(response, frame);
        Schedule(() =>
        {
            Invariant.True(ClientResponseCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var received).IsOk);
            simulation.OnResponse(node, connectionId, received);
        });
    }

    private void Schedule(Action delivery) => Schedule(delivery, random);

    /// <summary>A forged delivery, delayed by the forger's own PRNG (the run's draws stay as without forgeries).</summary>
    public void ScheduleForged(Prng forger, Action delivery) => Schedule(delivery, forger);

    private void Schedule(Action delivery, Prng random)
    {
        long delay = 1 + random.Next(DelayTicksMax);
        if (random.Chance(LongDelayProbability))
        {
            delay += Simulation.ElectionTicks + random.Next(2 * Simulation.ElectionTicks);
        }

        ScheduleAt(simulation.Tick + delay, delivery);
    }

    /// <summary>Runs <paramref name="delivery"/> at tick <paramref name="at"/>, after what was scheduled for it before.</summary>
    public void ScheduleAt(long at, Action delivery)
    {
        if (!_due.TryGetValue(at, out var list))
        {
            _due[at] = list = new List<Action>();
        }

        list.Add(delivery);
    }

    /// <summary>Runs every delivery due by now, in the order they were scheduled.</summary>
    public void DeliverDue()
    {
        while (_due.Count > 0)
        {
            (var at, var list) = _due.First();
            if (at > simulation.Tick)
            {
                return;
            }

            _due.Remove(at);
            foreach (var delivery in list)
            {
                delivery();
            }
        }
    }
}
