// Goal: what anyone who can reach a node's client port can do: open thousands of connections, hold half-sent
// frames (slowloris), send frames over the size limit, requests the codec refuses, and never read the replies.
// Method: raw sockets on 127.0.0.1; the node may refuse or close any of them.
using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.Server.Tests.Hostile;

internal static class HostileClients
{
    /// <summary>Opens up to <paramref name="count"/> connections at once and holds them while <paramref name="during"/> runs.</summary>
    public static Task<int> HoldConnectionsAsync(string endpoint, int count, Func<Task> during) => HoldAsync(endpoint, count, [], during);

    /// <summary>Connections that each send the first bytes of a large frame, then nothing, held while <paramref name="during"/> runs.</summary>
    public static Task<int> SlowlorisAsync(string endpoint, int count, Func<Task> during)
    {
        var start = new byte[FrameHeader.Bytes + 16];
        FrameHeader.Format(FrameType.ClientRequest, ProtocolLimits.FrameBytesMax - 2, start);
        return HoldAsync(endpoint, count, start, during);
    }

    /// <summary>Opens the connections (each sends <paramref name="first"/>), runs <paramref name="during"/>, closes them; returns how many opened.</summary>
    private static async Task<int> HoldAsync(string endpoint, int count, byte[] first, Func<Task> during)
    {
        var sockets = new List<Socket>(count);
        var opened = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                try
                {
                    await ConnectAsync(socket, endpoint);
                    if (first.Length > 0)
                    {
                        await socket.SendAsync(first, SocketFlags.None);
                    }

                    opened++;
                }
                catch (SocketException)
                {
                    // refused or reset: the node's connection cap (or the backlog) at work
                }
            }
            await during();
            return opened;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Raw frames the client port must refuse without stopping: oversized, bad version, unknown type, peer frames.</summary>
    public static async Task SendMalformedAsync(string endpoint)
    {
        byte[][] frames =
        [
            [0xFF, 0xFF, 0xFF, 0xFF, 1, 16],
            [0, 0, 0, 4, 7, 16, 0, 0],
            [0, 0, 0, 4, 1, 99, 0, 0],
            [0, 0, 0, 4, 1, 2, 0, 0],
            [0, 0, 0, 1, 1],
            [0, 0, 0, 8, 1, 16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ];
        foreach (var frame in frames)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await ConnectAsync(socket, endpoint);
                await socket.SendAsync(frame, SocketFlags.None);
                socket.Shutdown(SocketShutdown.Send);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var buffer = new byte[4096];
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
                {
                }
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException)
            {
            }
        }
    }

    private static Task ConnectAsync(Socket socket, string endpoint)
    {
        (var host, var port) = Server.Hosting.ServerOptions.ParseEndpoint(endpoint);
        return socket.ConnectAsync(host, port);
    }
}
