// Goal: measure (not assert) loopback Append throughput between two transports, in messages/s and MB/s; method: a windowed sender over real transports, figures written to the test output.
using System.Diagnostics;
using KvRaft.Protocol;
using Xunit.Abstractions;

namespace KvRaft.Transport.Tests;

public sealed class ThroughputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(1.5);

    [Theory]
    [InlineData("1 entry x 100 B", 1, 100, false, false)]
    [InlineData("16 entries x 1 KiB, compressible, LZ4", 16, 1024, true, true)]
    [InlineData("16 entries x 1 KiB, random, no LZ4", 16, 1024, false, false)]
    public async Task Loopback_append_throughput_is_measured_and_every_message_arrives(string shape, int entryCount, int dataBytes, bool repetitive, bool compress)
    {
        var counter = new CountingHandler();
        var ports = Ports.Free(2);
        await using var sender = await StartAsync(1, ports, new RecordingPeerHandler(), compress);
        await using var receiver = await StartAsync(2, ports, counter, compress);
        var connected = new Recorder<int>();
        var connectDeadline = Stopwatch.StartNew();
        while (!sender.IsConnected(2) || !receiver.IsConnected(1))
        {
            Assert.True(connectDeadline.Elapsed < Wait.Timeout, "the two transports did not connect");
            await counter.WaitAsync(TimeSpan.FromMilliseconds(10)); // polling the connection state only: never on the measured path
        }
        var message = Frames.Append(1, 2, 0, entryCount, dataBytes, repetitive);
        var (sent, elapsed) = await RunAsync(sender, counter, message);
        await counter.WaitForAsync(sent);
        var seconds = elapsed.TotalSeconds;
        var payloadBytes = (double)sent * entryCount * dataBytes;
        output.WriteLine($"{shape}: {sent} messages in {seconds:F2} s = {sent / seconds:N0} messages/s, " +
            $"{payloadBytes / seconds / 1e6:N1} MB/s of entry data, {sender.Statistics.BytesSent / seconds / 1e6:N1} MB/s on the wire; " +
            $"dropped {sender.Statistics.Dropped}, compressed {sender.Statistics.BlocksCompressed}");
        Assert.Equal(0, sender.Statistics.Dropped);
        Assert.Equal(sent, counter.Received);
    }

    private static async Task<(long Sent, TimeSpan Elapsed)> RunAsync(PeerTransport sender, CountingHandler counter, PeerMessage message)
    {
        const int burst = 256;
        // Keep at most half the outbound queue bound in flight, so nothing is dropped however slow the receiver; at
        // least 2,048 messages, as the receiver signals progress every 1,024.
        var messageBytes = PeerMessageCodec.FrameSize(message);
        var window = Math.Clamp(sender.Options.OutboundQueueBytesMax / 2 / messageBytes, 2048, 16 * 1024);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < Duration)
        {
            for (var i = 0; i < burst; i++)
            {
                sender.Send(2, message);
            }
            sent += burst;
            sender.Flush();
            while (sent - counter.Received > window)
            {
                Assert.True(await counter.WaitAsync(Wait.Timeout), "the receiver stalled");
            }
        }
        await counter.WaitForAsync(sent);
        return (sent, clock.Elapsed);
    }

    private static async Task<PeerTransport> StartAsync(int id, int[] ports, IPeerHandler handler, bool compress)
    {
        var other = 3 - id;
        var transport = new PeerTransport(new TransportOptions
        {
            LocalNodeId = id,
            ClusterId = Cluster.ClusterId,
            ListenHost = "127.0.0.1",
            ListenPort = ports[id - 1],
            Peers = [new PeerEndpoint(other, "127.0.0.1", ports[other - 1])],
            ReconnectDelayMinMilliseconds = 10,
            ReconnectDelayMaxMilliseconds = 100,
            CompressAboveBytes = compress ? 4096 : int.MaxValue,
            OutboundQueueBytesMax = 64 << 20, // above the default: a window of 2,048 of the largest messages must fit in half of it
        }, handler, new RecordingLogger());
        await transport.StartAsync();
        return transport;
    }

    /// <summary>Counts messages; wakes a waiter every 1024 messages (and on each disconnect or chunk).</summary>
    private sealed class CountingHandler : IPeerHandler
    {
        private readonly SemaphoreSlim _progress = new(0);
        private long _received;

        public long Received => Interlocked.Read(ref _received);

        public void OnPeerMessage(PeerSender sender, in PeerMessage message)
        {
            if (Interlocked.Increment(ref _received) % 1024 == 0)
            {
                _progress.Release();
            }
        }

        public void OnSnapshotChunk(PeerSender sender, in SnapshotChunk chunk) => _progress.Release();
        public void OnPeerDisconnected(PeerSender sender) => _progress.Release();

        public Task<bool> WaitAsync(TimeSpan timeout) => _progress.WaitAsync(timeout);

        public async Task WaitForAsync(long count)
        {
            var deadline = DateTime.UtcNow + Wait.Timeout;
            while (Received < count)
            {
                Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + count + " messages");
                await _progress.WaitAsync(TimeSpan.FromMilliseconds(5)); // the last partial 1024 never signals
            }
        }
    }
}
