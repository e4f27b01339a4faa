// Goal: peer transports deliver what is sent, intact and in order per pair; method: real transports on loopback, recording handlers awaited with timeouts.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class PeerExchangeTests
{
    private static readonly int[] Ids = [1, 2, 3];

    [Fact]
    public async Task Three_transports_exchange_appends_and_heartbeats_intact_and_in_order_per_pair_and_lane()
    {
        await using var cluster = await Cluster.StartAsync(Ids);
        const int perPair = 60;
        var sent = new Dictionary<(int From, int To), List<PeerMessage>>();
        for (var context = 0; context < perPair; context++)
        {
            foreach (var from in Ids)
            {
                foreach (var to in Ids.Where(to => to != from))
                {
                    var message = MessageNumber(from, to, context);
                    cluster[from].Transport.Send(to, message);
                    (sent.TryGetValue((from, to), out var list) ? list : sent[(from, to)] = []).Add(message);
                }
            }
            if (context % 7 == 0)
            {
                foreach (var id in Ids)
                {
                    cluster[id].Transport.Flush();
                }
            }
        }
        foreach (var id in Ids)
        {
            cluster[id].Transport.Flush();
        }
        foreach (var to in Ids)
        {
            await cluster[to].Handler.Messages.WaitForCountAsync(perPair * (Ids.Length - 1), "all messages at node " + to);
            foreach (var from in Ids.Where(from => from != to))
            {
                foreach (var lane in (PeerLane[])[PeerLane.Bulk, PeerLane.Control])
                {
                    // Heartbeats travel on the control lane, Appends on the bulk lane: each lane keeps its order.
                    var expected = sent[(from, to)].Where(message => PeerTransport.LaneOf(message.Type) == lane).ToList();
                    var received = cluster[to].MessagesFrom(from).Where(message => PeerTransport.LaneOf(message.Type) == lane).ToList();
                    Assert.Equal(expected.Select(message => message.Context), received.Select(message => message.Context));
                    for (var i = 0; i < received.Count; i++)
                    {
                        AssertSameMessage(expected[i], received[i]);
                    }
                }
            }
        }
        Assert.True(cluster[1].Transport.Statistics.BlocksCompressed > 0, "large compressible appends went compressed");
        Assert.All(Ids, id => Assert.Equal(0, cluster[id].Transport.Statistics.Dropped));
    }

    [Fact]
    public async Task Appends_travel_identically_with_compression_disabled()
    {
        await using var cluster = await Cluster.StartAsync([1, 2], options => options with { CompressAboveBytes = int.MaxValue });
        var message = Frames.Append(1, 2, context: 5, entryCount: 32, dataBytes: 2048, repetitive: true);
        cluster[1].Transport.Send(2, message);
        cluster[1].Transport.Flush();
        var received = await cluster[2].Handler.Messages.WaitForCountAsync(1, "the append");
        AssertSameMessage(message, received[0]);
        Assert.Equal(0, cluster[1].Transport.Statistics.BlocksCompressed);
    }

    [Fact]
    public async Task Snapshot_chunks_arrive_intact_and_decompressed()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        var random = new Random(7);
        var chunks = new List<SnapshotChunk>();
        for (var i = 0; i < 4; i++)
        {
            var payload = new byte[256 * 1024];
            if (i == 3)
            {
                random.NextBytes(payload); // incompressible: sent as is
            }
            else
            {
                for (var b = 0; b < payload.Length; b++)
                {
                    payload[b] = (byte)((b / 64) + i);
                }
            }
            chunks.Add(new SnapshotChunk
            {
                SnapshotIndex = 500,
                SnapshotTerm = 4,
                Offset = (ulong)(i * payload.Length),
                ChunkIndex = (uint)i,
                Last = i == 3,
                UncompressedBytes = payload.Length,
                Payload = payload,
            });
            cluster[2].Transport.SendSnapshotChunk(1, chunks[^1]);
        }
        cluster[2].Transport.Flush();
        var received = await cluster[1].Handler.Chunks.WaitForCountAsync(chunks.Count, "all chunks");
        Assert.All(received, item => Assert.Equal(2, item.From));
        Assert.Equal(chunks, received.Select(item => item.Chunk));
        Assert.Equal(3, cluster[2].Transport.Statistics.BlocksCompressed);
        Assert.True(cluster[2].Transport.Statistics.BytesSent < 2 * 256 * 1024, "compressed chunks are much smaller on the wire");
    }

    [Fact]
    public async Task Messages_are_not_sent_before_flush()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        cluster[1].Transport.Send(2, Frames.Heartbeat(1, 2, 1));
        cluster[1].Transport.Send(2, Frames.Heartbeat(1, 2, 2));
        // A marker sent and flushed by the other direction proves the loop turned; the unflushed ones stay queued.
        cluster[2].Transport.Send(1, Frames.Heartbeat(2, 1, 99));
        cluster[2].Transport.Flush();
        await cluster[1].Handler.Messages.WaitForCountAsync(1, "the marker");
        Assert.Equal(0, cluster[2].Handler.Messages.Count);
        cluster[1].Transport.Flush();
        var received = await cluster[2].Handler.Messages.WaitForCountAsync(2, "both heartbeats");
        Assert.Equal([1L, 2L], received.Select(message => message.Context));
    }

    [Fact]
    public async Task Sends_to_a_disconnected_or_unknown_peer_are_dropped_and_counted_without_blocking()
    {
        var ports = Ports.Free(2);
        var options = new TransportOptions
        {
            LocalNodeId = 1,
            ClusterId = Cluster.ClusterId,
            ListenHost = "127.0.0.1",
            ListenPort = ports[0],
            Peers = [new PeerEndpoint(2, "127.0.0.1", ports[1])], // nobody listens there
        };
        await using var transport = new PeerTransport(options, new RecordingPeerHandler(), new RecordingLogger());
        await transport.StartAsync();
        transport.Send(2, Frames.Heartbeat(1, 2, 1));
        transport.Send(9, Frames.Heartbeat(1, 9, 1));
        transport.SendSnapshotChunk(2, new SnapshotChunk { Payload = new byte[10], UncompressedBytes = 10 });
        transport.Flush();
        Assert.False(transport.IsConnected(2));
        Assert.Equal(3, transport.Statistics.DroppedDisconnected);
    }

    [Fact]
    public async Task A_full_outbound_queue_drops_and_counts_instead_of_growing()
    {
        await using var cluster = await Cluster.StartAsync([1, 2], options => options with { OutboundQueueBytesMax = 16 * 1024 });
        for (var i = 0; i < 100; i++)
        {
            cluster[1].Transport.Send(2, Frames.Append(1, 2, i, entryCount: 1, dataBytes: 1000, repetitive: false));
        }
        var statistics = cluster[1].Transport.Statistics;
        Assert.InRange(statistics.FramesSent, 10, 20);
        Assert.Equal(100 - (statistics.FramesSent - 2), statistics.DroppedQueueFull); // minus the hellos of the two lanes
        cluster[1].Transport.Flush();
        await cluster[2].Handler.Messages.WaitForCountAsync((int)statistics.FramesSent - 2, "the queued appends");
    }

    private static PeerMessage MessageNumber(int from, int to, int context) => (context % 3) switch
    {
        0 => Frames.Heartbeat(from, to, context),
        1 => Frames.Append(from, to, context, entryCount: 3, dataBytes: 40, repetitive: false, seed: context),
        _ => Frames.Append(from, to, context, entryCount: 20, dataBytes: 1024, repetitive: true, seed: context),
    };

    private static void AssertSameMessage(PeerMessage expected, PeerMessage actual)
    {
        Assert.Equal(expected with { Entries = default }, actual with { Entries = default });
        Assert.Equal(Frames.EntriesOf(expected), Frames.EntriesOf(actual));
    }
}
