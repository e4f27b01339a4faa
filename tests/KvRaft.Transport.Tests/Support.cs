// Goal: shared test plumbing — recording handlers and a recording logger that tests await (never sleep on), free loopback ports, raw sockets, frame builders.
using System.Net;
using System.Net.Sockets;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport.Tests;

internal static class Wait
{
    /// <summary>Generous: a test that waits this long has failed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Waits for <paramref name="task"/>, failing the test after <see cref="Timeout"/>.</summary>
    public static async Task<T> For<T>(Task<T> task, string what)
    {
        var finished = await Task.WhenAny(task, Task.Delay(Timeout)).ConfigureAwait(false);
        Assert.True(finished == task, "timed out waiting for " + what);
        return await task.ConfigureAwait(false);
    }

    public static async Task For(Task task, string what)
    {
        var finished = await Task.WhenAny(task, Task.Delay(Timeout)).ConfigureAwait(false);
        Assert.True(finished == task, "timed out waiting for " + what);
        await task.ConfigureAwait(false);
    }
}

/// <summary>A list that signals every addition, so a test can await "at least n items" or "an item like this".</summary>
internal sealed class Recorder<T>
{
    private readonly List<T> _items = [];
    private readonly SemaphoreSlim _added = new(0);

    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
        _added.Release();
    }

    public List<T> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the items; fails the test after the timeout.</summary>
    public async Task<List<T>> WaitUntilAsync(Func<List<T>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait.Timeout;
        while (true)
        {
            var items = Snapshot();
            if (condition(items))
            {
                return items;
            }
            var remaining = deadline - DateTime.UtcNow;
            Assert.True(remaining > TimeSpan.Zero && await _added.WaitAsync(remaining).ConfigureAwait(false), "timed out waiting for " + what);
        }
    }

    public Task<List<T>> WaitForCountAsync(int count, string what) => WaitUntilAsync(items => items.Count >= count, what);
}

/// <summary>Records every message, chunk and disconnect it is given.</summary>
internal sealed class RecordingPeerHandler : IPeerHandler
{
    public Recorder<PeerMessage> Messages { get; } = new();
    public Recorder<(int From, SnapshotChunk Chunk)> Chunks { get; } = new();
    public Recorder<int> Disconnects { get; } = new();

    public Recorder<PeerSender> Senders { get; } = new();

    public void OnPeerMessage(PeerSender sender, in PeerMessage message)
    {
        Senders.Add(sender);
        Messages.Add(message);
    }

    public void OnSnapshotChunk(PeerSender sender, in SnapshotChunk chunk) => Chunks.Add((sender.NodeId, chunk));
    public void OnPeerDisconnected(PeerSender sender) => Disconnects.Add(sender.NodeId);
    public Recorder<(int From, string Address)> ClientAddresses { get; } = new();
    public void OnPeerClientAddress(int nodeId, string clientAddress) => ClientAddresses.Add((nodeId, clientAddress));

    /// <summary>The replica groups (besides 0) this handler hosts: group frames of others are refused.</summary>
    public HashSet<int> HostedGroups { get; } = [];

    public Recorder<(int GroupId, PeerMessage Message)> GroupMessages { get; } = new();

    public Recorder<(int GroupId, SnapshotChunk Chunk)> GroupChunks { get; } = new();

    public bool OnGroupPeerMessage(int groupId, PeerSender sender, in PeerMessage message)
    {
        if (!HostedGroups.Contains(groupId))
        {
            return false;
        }
        GroupMessages.Add((groupId, message));
        return true;
    }

    public bool OnGroupSnapshotChunk(int groupId, PeerSender sender, in SnapshotChunk chunk)
    {
        if (!HostedGroups.Contains(groupId))
        {
            return false;
        }
        GroupChunks.Add((groupId, chunk));
        return true;
    }
}

/// <summary>Keeps log entries (level and text) and lets tests await one.</summary>
internal sealed class RecordingLogger : ILogger
{
    public Recorder<(LogLevel Level, string Text)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((logLevel, formatter(state, exception)));

    public Task WaitForErrorAsync(string fragment) =>
        Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Level == LogLevel.Error && entry.Text.Contains(fragment, StringComparison.Ordinal)), "an error log containing " + fragment);
}

internal static class Ports
{
    /// <summary>Distinct free loopback ports outside the ephemeral range (see <see cref="LoopbackPorts"/>).</summary>
    public static int[] Free(int count) => LoopbackPorts.Free(count);
}

/// <summary>A plain TCP client for sending hand-made bytes and reading frames.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private byte[] _received = new byte[64 * 1024];
    private int _receivedBytes;

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var connection = new RawConnection();
        await connection._socket.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
        return connection;
    }

    public int Available => _socket.Available;

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes).ConfigureAwait(false);

    /// <summary>
    /// Sends bytes the server may refuse part-way: once it has read enough to close the connection, the rest of a large
    /// send fails (broken pipe or reset), which the caller's close check then observes; other errors still throw.
    /// </summary>
    public async Task SendRefusableAsync(byte[] bytes)
    {
        try
        {
            await _socket.SendAsync(bytes).ConfigureAwait(false);
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
        }
    }

    /// <summary>True once the server has closed the connection (read returns 0, or the connection is reset).</summary>
    public async Task<bool> ClosedByRemoteAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (await _socket.ReceiveAsync(buffer).ConfigureAwait(false) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Reads until <paramref name="count"/> whole frames arrived; returns (type, body copy) for each.</summary>
    public async Task<List<(FrameType Type, byte[] Body)>> ReadFramesAsync(int count)
    {
        var frames = new List<(FrameType, byte[])>();
        while (frames.Count < count)
        {
            var decoded = FrameDecoder.Decode(_received.AsSpan(0, _receivedBytes));
            if (decoded.Status == FrameDecodeStatus.Frame)
            {
                frames.Add((decoded.Type, decoded.Body(_received.AsSpan(0, _receivedBytes)).ToArray()));
                _received.AsSpan(decoded.ConsumedBytes, _receivedBytes - decoded.ConsumedBytes).CopyTo(_received);
                _receivedBytes -= decoded.ConsumedBytes;
                continue;
            }
            Assert.Equal(FrameDecodeStatus.NeedMoreData, decoded.Status);
            if (_received.Length - _receivedBytes < decoded.NeededBytes)
            {
                Array.Resize(ref _received, Math.Max(_received.Length * 2, _receivedBytes + decoded.NeededBytes));
            }
            var read = await _socket.ReceiveAsync(_received.AsMemory(_receivedBytes)).ConfigureAwait(false);
            Assert.True(read > 0, "connection closed after " + frames.Count + " frames");
            _receivedBytes += read;
        }
        return frames;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal static class Frames
{
    public static byte[] Hello(ulong clusterId, int from, int to, PeerLane lane = PeerLane.Bulk)
    {
        var hello = new PeerHello(ProtocolLimits.Version, clusterId, from, to) { Lane = lane };
        var frame = new byte[PeerHelloCodec.FrameSize(hello)];
        PeerHelloCodec.FormatFrame(hello, frame);
        return frame;
    }

    public static byte[] Message(in PeerMessage message)
    {
        var frame = new byte[PeerMessageCodec.FrameSize(message)];
        PeerMessageCodec.FormatFrame(message, frame);
        return frame;
    }

    public static byte[] Chunk(in SnapshotChunk chunk)
    {
        var frame = new byte[SnapshotChunkCodec.FrameSize(chunk)];
        SnapshotChunkCodec.FormatFrame(chunk, frame);
        return frame;
    }

    public static byte[] Request(in ClientRequest request)
    {
        var frame = new byte[ClientRequestCodec.FrameSize(request)];
        ClientRequestCodec.FormatFrame(request, frame);
        return frame;
    }

    /// <summary>A header with the given length field, version and type, then <paramref name="bodyBytes"/> zero bytes.</summary>
    public static byte[] GroupRequest(int groupId, in ClientRequest request)
    {
        var frame = new byte[ClientRequestCodec.FrameSize(groupId, request)];
        ClientRequestCodec.FormatFrame(groupId, request, frame);
        return frame;
    }

    public static byte[] Raw(uint length, byte version, byte type, int bodyBytes)
    {
        var frame = new byte[FrameHeader.Bytes + bodyBytes];
        BitConverter.TryWriteBytes(frame.AsSpan(0, 4), length);
        frame[4] = version;
        frame[5] = type;
        return frame;
    }

    /// <summary>A copy of <paramref name="frame"/> with the byte at <paramref name="offset"/> replaced.</summary>
    public static byte[] WithByte(byte[] frame, int offset, byte value)
    {
        var copy = (byte[])frame.Clone();
        copy[offset] = value;
        return copy;
    }

    public static PeerMessage Heartbeat(int from, int to, long context) =>
        new() { Type = PeerMessageType.Heartbeat, From = from, To = to, Term = 3, Commit = 7, Context = context };

    /// <summary>An Append of <paramref name="entryCount"/> entries of <paramref name="dataBytes"/> each; compressible when <paramref name="repetitive"/>.</summary>
    public static PeerMessage Append(int from, int to, long context, int entryCount, int dataBytes, bool repetitive, int seed = 1)
    {
        var random = new Random(seed);
        var entries = new WireEntry[entryCount];
        for (var i = 0; i < entryCount; i++)
        {
            var data = new byte[dataBytes];
            if (repetitive)
            {
                for (var b = 0; b < data.Length; b++)
                {
                    data[b] = (byte)("key-value-"[b % 10] + (i % 3));
                }
            }
            else
            {
                random.NextBytes(data);
            }
            entries[i] = new WireEntry(100 + i, 3, EntryType.Normal, data);
        }
        return new PeerMessage
        {
            Type = PeerMessageType.Append,
            From = from,
            To = to,
            Term = 3,
            LogTerm = 3,
            Index = 99,
            Commit = 50,
            Context = context,
            Entries = EntryList.From(entries),
        };
    }

    public static List<WireEntry> EntriesOf(in PeerMessage message)
    {
        var list = new List<WireEntry>();
        message.Entries.CopyTo(list);
        return list;
    }
}
