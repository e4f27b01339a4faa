// Goal: what an attacker who can reach a node's peer port (and knows the cluster id) can send: forged hellos,
// poisoned terms, commit indexes beyond the log, forged Appends and responses, votes with the transfer context,
// snapshot-chunk floods and bombs, oversized, badly versioned and unknown frames. Method: raw sockets and the
// project's own codecs; each attack on a fresh connection; the node may close it at any point (that is the point).
using System.Net.Sockets;
using K4os.Compression.LZ4;
using KvRaft.Protocol;

namespace KvRaft.Server.Tests.Hostile;

internal sealed class HostilePeer(string endpoint, ulong clusterId, int impostorId, int targetId, long term)
{
    /// <summary>Attacks sent, and connections the node refused or closed while they were sent.</summary>
    public int Sent { get; private set; }

    public int Refused { get; private set; }

    public async Task RunAllAsync()
    {
        await SendAsync(Message(PeerMessageType.Heartbeat) with { Commit = long.MaxValue / 2 });
        await SendAsync(Message(PeerMessageType.Heartbeat) with { Term = long.MaxValue, Commit = long.MaxValue });
        await SendAsync(Message(PeerMessageType.Vote) with { Term = long.MaxValue - 1, Index = long.MaxValue, LogTerm = long.MaxValue });
        await SendAsync(Message(PeerMessageType.PreVote) with { Term = long.MaxValue, Index = long.MaxValue, LogTerm = long.MaxValue });
        await SendAsync(Message(PeerMessageType.Vote) with { Term = term + 1, Index = long.MaxValue / 2, LogTerm = term, Context = 1 });
        await SendAsync(ForgedAppend(term, garbage: 64));
        await SendAsync(Message(PeerMessageType.AppendResponse) with { Index = long.MaxValue / 2 });
        await SendAsync(Message(PeerMessageType.HeartbeatResponse) with { Index = long.MaxValue, Context = long.MaxValue });
        await SendAsync(Message(PeerMessageType.TimeoutNow));
        await SendAsync(Message(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(long.MaxValue / 2, term, new[] { 1, 2, 3 }) });
        await SendFramesAsync(EntriesBomb());
        await SendFramesAsync(ChunkFlood(count: 64, bytes: 256 * 1024));
        await SendFramesAsync(ChunkBomb());
        await SendRawAsync(hello: true, [0xFF, 0xFF, 0xFF, 0xFF, 1, 2]); // a frame longer than FrameBytesMax
        await SendRawAsync(hello: true, [0, 0, 0, 4, 9, 2, 0, 0]); // wire version 9
        await SendRawAsync(hello: true, [0, 0, 0, 4, 1, 18, 0, 0]); // a retired frame type
        await SendRawAsync(hello: false, [0, 0, 0, 4, 1, 2, 0, 0]); // a PeerMessage before any hello
        await SendRawAsync(hello: false, Hello(clusterId + 1)); // another cluster
    }

    private PeerMessage Message(PeerMessageType type) => new() { Type = type, From = impostorId, To = targetId, Term = term };

    private PeerMessage ForgedAppend(long appendTerm, int garbage)
    {
        var random = new Random(7);
        var entries = new WireEntry[garbage];
        for (var i = 0; i < garbage; i++)
        {
            var data = new byte[100];
            random.NextBytes(data);
            entries[i] = new WireEntry(1_000_000 + i, appendTerm, EntryType.Normal, data);
        }
        return Message(PeerMessageType.Append) with { Index = 999_999, LogTerm = appendTerm, Commit = 1_000_000 + garbage, Entries = EntryList.From(entries) };
    }

    /// <summary>An Append whose tiny LZ4 block claims to decompress to the largest entries block.</summary>
    private byte[][] EntriesBomb()
    {
        var zeros = new byte[ProtocolLimits.EntriesBlockBytesMax];
        var compressed = new byte[LZ4Codec.MaximumOutputSize(zeros.Length)];
        var length = LZ4Codec.Encode(zeros, compressed);
        var bomb = Message(PeerMessageType.Append) with
        {
            Index = 0,
            LogTerm = 0,
            Entries = EntryList.FromCompressed(compressed.AsMemory(0, length), 1, zeros.Length),
        };
        return [Frame(bomb)];
    }

    private byte[][] ChunkFlood(int count, int bytes)
    {
        var random = new Random(11);
        var frames = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var payload = new byte[bytes];
            random.NextBytes(payload);
            frames[i] = Frame(new SnapshotChunk
            {
                SnapshotIndex = long.MaxValue / 2,
                SnapshotTerm = term,
                Offset = (ulong)i * (ulong)bytes,
                ChunkIndex = (uint)i,
                Last = i == count - 1,
                UncompressedBytes = bytes,
                Payload = payload,
            });
        }
        return frames;
    }

    private byte[][] ChunkBomb()
    {
        var zeros = new byte[ProtocolLimits.SnapshotChunkBytesMax];
        var compressed = new byte[LZ4Codec.MaximumOutputSize(zeros.Length)];
        var length = LZ4Codec.Encode(zeros, compressed);
        return [.. Enumerable.Range(0, 32).Select(i => Frame(new SnapshotChunk
        {
            SnapshotIndex = long.MaxValue / 3,
            SnapshotTerm = term,
            Offset = (ulong)i * (ulong)zeros.Length,
            ChunkIndex = (uint)i,
            Compressed = true,
            UncompressedBytes = zeros.Length,
            Payload = compressed.AsMemory(0, length),
        }))];
    }

    private Task SendAsync(PeerMessage message) => SendFramesAsync([Frame(message)]);

    private async Task SendFramesAsync(byte[][] frames)
    {
        Sent++;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await ConnectAsync(socket);
            await socket.SendAsync(Hello(clusterId), SocketFlags.None);
            foreach (var frame in frames)
            {
                await socket.SendAsync(frame, SocketFlags.None);
            }

            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(socket);
        }
        catch (SocketException)
        {
            Refused++; // the node closed the connection: an allowed answer
        }
    }

    private async Task SendRawAsync(bool hello, byte[] bytes)
    {
        Sent++;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await ConnectAsync(socket);
            if (hello)
            {
                await socket.SendAsync(Hello(clusterId), SocketFlags.None);
            }

            await socket.SendAsync(bytes, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(socket);
        }
        catch (SocketException)
        {
            Refused++;
        }
    }

    private Task ConnectAsync(Socket socket)
    {
        (var host, var port) = Server.Hosting.ServerOptions.ParseEndpoint(endpoint);
        return socket.ConnectAsync(host, port);
    }

    /// <summary>Reads until the node closes the connection, 2 s at most (162 attacks: the test stays bounded).</summary>
    private static async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // still open after 2 s (the node answered EOF with nothing): it ignored what was sent, which is allowed
        }
    }

    private byte[] Hello(ulong cluster)
    {
        var hello = new PeerHello(1, cluster, impostorId, targetId);
        var frame = new byte[PeerHelloCodec.FrameSize(hello)];
        PeerHelloCodec.FormatFrame(hello, frame);
        return frame;
    }

    private static byte[] Frame(PeerMessage message)
    {
        var frame = new byte[PeerMessageCodec.FrameSize(message)];
        PeerMessageCodec.FormatFrame(message, frame);
        return frame;
    }

    private static byte[] Frame(SnapshotChunk chunk)
    {
        var frame = new byte[SnapshotChunkCodec.FrameSize(chunk)];
        SnapshotChunkCodec.FormatFrame(chunk, frame);
        return frame;
    }
}
