using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>
/// The simulated network between KvNodes: per-message delay, loss and partitions from one seeded
/// PRNG. Snapshot chunks and their Snapshot message travel together, in order, like on one connection.
/// </summary>
internal sealed class KvSimNetwork(KvSimCluster cluster, Prng random)
{
    private readonly SortedDictionary<long, List<Action>> _due = new();
    private readonly HashSet<(int, int)> _cut = new();

    public double DropProbability { get; set; }

    public int DelayTicksMax { get; set; } = 2;

    public void Partition(IEnumerable<int> side, IEnumerable<int> rest)
    {
        foreach (var a in side)
        {
            foreach (var b in rest)
            {
                _cut.Add((a, b));
                _cut.Add((b, a));
            }
        }
    }

    public void Heal() => _cut.Clear();

    public bool IsCut(int from, int to) => _cut.Contains((from, to));

    /// <summary>A test's view of every message a node sends (sender, message), before loss or a cut; false drops it.</summary>
    public Func<int, PeerMessage, bool>? Intercept { get; set; }

    public void Send(int from, PeerMessage message)
    {
        if (Intercept?.Invoke(from, message) == false || IsCut(from, message.To) || random.Chance(DropProbability))
        {
            return;
        }

        var copy = OnTheWire(message); // the node reuses its buffers once Send returns, as a real network allows
        Schedule(() =>
        {
            if (!IsCut(from, copy.To))
            {
                cluster.Node(copy.To).Deliver(copy);
            }
        });
    }

    /// <summary>The message as the receiver would parse it from its own buffer.</summary>
    private static PeerMessage OnTheWire(in PeerMessage message)
    {
        var bytes = new byte[PeerMessageCodec.Size(message)];
        PeerMessageCodec.Format(message, bytes);
        var parsed = PeerMessageCodec.Parse(bytes, out var copy);
        Assert.True(parsed.IsOk, parsed.Message);
        return copy;
    }

    public void SendSnapshot(int from, PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer)
    {
        var to = message.To;
        var chunks = new List<WireSnapshotChunk>();
        using (var reader = snapshot.OpenSnapshotReader())
        {
            // The whole stream goes at once (no window in this harness): the transfer knows what was sent, so the
            // follower's acknowledgements are taken.
            transfer.BeginAttempt(reader.ChunkBytes, reader.TotalBytes);
            uint number = 0;
            while (reader.TryReadNext(out var chunk))
            {
                chunks.Add(new WireSnapshotChunk
                {
                    SnapshotIndex = snapshot.Info.Index,
                    SnapshotTerm = snapshot.Info.Term,
                    Offset = (ulong)chunk.Offset,
                    ChunkIndex = number++,
                    Last = chunk.Last,
                    UncompressedBytes = chunk.Data.Length,
                    Payload = chunk.Data.ToArray(),
                });
                transfer.OnSent(new SnapshotPosition(number, chunk.Offset + chunk.Data.Length));
            }
        }
        var lost = IsCut(from, to) || random.Chance(DropProbability);
        Schedule(() =>
        {
            var delivered = !lost && !IsCut(from, to) && cluster.Node(to).IsUp;
            if (delivered)
            {
                foreach (var chunk in chunks)
                {
                    cluster.Node(to).DeliverChunk(from, chunk);
                }

                cluster.Node(to).Deliver(message);
            }
            cluster.Node(from).ReportSnapshotSent(to, delivered);
        });
    }

    private void Schedule(Action delivery)
    {
        var at = cluster.Tick + 1 + random.Next(DelayTicksMax);
        if (!_due.TryGetValue(at, out var list))
        {
            _due[at] = list = new List<Action>();
        }

        list.Add(delivery);
    }

    /// <summary>Runs every delivery due by now.</summary>
    public void DeliverDue()
    {
        while (_due.Count > 0)
        {
            var (at, list) = _due.First();
            if (at > cluster.Tick)
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
