// Goal: the pieces the relay tests share: a target node's peer port that the test accepts on, connections through a relay, frames, exact reads and closure checks, all bounded by one deadline; method: plain sockets on 127.0.0.1.
using System.Net;
using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.Loadgen.Tests;

/// <summary>A listener standing for a node's peer port, and the deadline of one test.</summary>
internal sealed class RelayTarget : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(20));
    private readonly List<Socket> _sockets = [];

    public RelayTarget(int? receiveBufferBytes = null)
    {
        if (receiveBufferBytes is { } bytes)
        {
            _listener.ReceiveBufferSize = bytes;
        }

        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Cancelled when the test has run too long.</summary>
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>The next connection the relay made to this target.</summary>
    public async Task<Socket> AcceptAsync() => Keep(await _listener.AcceptAsync(Deadline));

    /// <summary>A connection to <paramref name="port"/> (the relay), as the dialling node makes it.</summary>
    public async Task<Socket> ConnectAsync(int port, int? sendBufferBytes = null)
    {
        var socket = Keep(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        if (sendBufferBytes is { } bytes)
        {
            socket.SendBufferSize = bytes;
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Deadline);
        return socket;
    }

    /// <summary>A connection through the relay on <paramref name="port"/>, and its other end at this target.</summary>
    public async Task<(Socket Dialler, Socket Target)> ConnectThroughAsync(int port)
    {
        var dialler = await ConnectAsync(port);
        return (dialler, await AcceptAsync());
    }

    public async Task<byte[]> ReadAsync(Socket socket, int bytes)
    {
        var buffer = new byte[bytes];
        for (var read = 0; read < bytes;)
        {
            var got = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, Deadline);
            if (got == 0)
            {
                throw new IOException($"closed after {read} of {bytes} bytes");
            }

            read += got;
        }
        return buffer;
    }

    /// <summary>True once the other end has closed <paramref name="socket"/> (end of stream or reset), reading what comes before.</summary>
    public async Task<bool> IsClosedAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, Deadline) > 0)
            {
                // bytes sent before the close: not what is checked
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (the relay's counters change on its own tasks: no event to wait on).</summary>
    public async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10, Deadline);
        }
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _listener.Dispose();
        _deadline.Dispose();
    }

    private Socket Keep(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }
}

/// <summary>Frames as a node would send them (the relay reads only their headers).</summary>
internal static class TestFrames
{
    public static byte[] Make(FrameType type, int bodyBytes, byte fill)
    {
        var frame = new byte[FrameHeader.Bytes + bodyBytes];
        FrameHeader.Format(type, bodyBytes, frame);
        frame.AsSpan(FrameHeader.Bytes).Fill(fill);
        return frame;
    }

    public static byte[] Concat(params byte[][] frames) => [.. frames.SelectMany(frame => frame)];
}
