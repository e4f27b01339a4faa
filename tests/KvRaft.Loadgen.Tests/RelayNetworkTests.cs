// Goal: a relay network turns isolations, partitions and one-way cuts into the right directed cuts on both relays of every pair, names a relay for every other node in each node's --peers, and heals whole; the frame cursor under a relay drops whole frames however the stream is split; method: a network of three relays' worth of nodes (no connections needed), and the cursor fed seeded random splits of a seeded stream.
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Loadgen.Tests;

public sealed class RelayNetworkTests
{
    [Fact]
    public async Task Isolate_cut_and_partition_become_directed_cuts_on_both_relays_of_a_pair_and_heal_removes_them()
    {
        await using var network = RelayNetwork.Start(new Dictionary<int, int> { [1] = 7001, [2] = 7002, [3] = 7003 }, seed: 1);
        Assert.Equal("no faults", network.ToString());

        network.Cut(1, 2);
        Assert.True(network.Relay(1, 2).ForwardCut && !network.Relay(1, 2).BackwardCut);
        Assert.True(!network.Relay(2, 1).ForwardCut && network.Relay(2, 1).BackwardCut);

        network.Isolate(3);
        Assert.Equal([(1, 2), (1, 3), (2, 3), (3, 1), (3, 2)], network.Cuts);
        Assert.Equal("cuts: 1->2 1->3 2->3 3->1 3->2; drop 0%, delay up to 0 ms", network.ToString());

        network.Partition([1], [2, 3]);
        Assert.Equal([(1, 2), (1, 3), (2, 1), (3, 1)], network.Cuts);
        Assert.False(network.Relay(2, 3).ForwardCut || network.Relay(2, 3).BackwardCut);

        network.SetUnreliable(10, 5);
        network.Heal();
        Assert.Empty(network.Cuts);
        Assert.Equal("no faults", network.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Isolate(4));
    }

    [Fact]
    public async Task Each_node_dials_every_other_node_through_its_own_relay()
    {
        await using var network = RelayNetwork.Start(new Dictionary<int, int> { [1] = 7001, [2] = 7002, [3] = 7003 }, seed: 1);
        Assert.Equal($"1=127.0.0.1:7001,2=127.0.0.1:{network.Relay(1, 2).Port},3=127.0.0.1:{network.Relay(1, 3).Port}", network.PeersOf(1));
        Assert.Equal($"1=127.0.0.1:{network.Relay(2, 1).Port},2=127.0.0.1:7002,3=127.0.0.1:{network.Relay(2, 3).Port}", network.PeersOf(2));
        int[] ports = [.. new[] { (1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2) }.Select(pair => network.Relay(pair.Item1, pair.Item2).Port)];
        Assert.Equal(ports.Length, ports.Distinct().Count());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_cursor_drops_whole_frames_however_the_stream_is_split(int seed)
    {
        var random = new Random(seed);
        FrameType[] types = [FrameType.PeerHello, FrameType.PeerMessage, FrameType.SnapshotChunk];
        byte[][] frames = [.. Enumerable.Range(0, 200).Select(i => TestFrames.Make(types[random.Next(types.Length)], random.Next(0, 300), (byte)i))];
        var stream = TestFrames.Concat(frames);
        var expected = TestFrames.Concat([.. frames.Where(frame => (FrameType)frame[5] != FrameType.PeerMessage)]);

        var cursor = new FrameCursor(type => type == FrameType.PeerMessage);
        var forwarded = new List<byte>();
        var output = new byte[64 + FrameHeader.Bytes];
        for (var offset = 0; offset < stream.Length;)
        {
            var piece = Math.Min(random.Next(1, 65), stream.Length - offset);
            var written = cursor.Advance(stream.AsSpan(offset, piece), output);
            forwarded.AddRange(output.AsSpan(0, written));
            offset += piece;
        }
        Assert.True(expected.AsSpan().SequenceEqual([.. forwarded]), $"seed {seed}: the forwarded stream is not the kept frames");
        Assert.Equal(frames.Count(frame => (FrameType)frame[5] == FrameType.PeerMessage), cursor.FramesDropped);
    }

    [Fact]
    public void The_cursor_refuses_a_stream_it_cannot_follow()
    {
        var cursor = new FrameCursor(_ => false);
        var output = new byte[64];
        Assert.Throws<InvalidDataException>(() => cursor.Advance(new byte[] { 1, 0, 0, 0, 1, 2 }, output));
    }
}
