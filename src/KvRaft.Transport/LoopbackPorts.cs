using System.Net;
using System.Net.Sockets;

namespace KvRaft.Transport;

/// <summary>
/// Free loopback ports for local clusters and tests, picked BELOW the kernel's ephemeral range
/// (Linux: 32768–60999). A port found by binding port 0 and releasing it is an ephemeral port:
/// before the server binds it again, any outgoing connection of any process may take it as its
/// local port (and a connection dialled to it may even connect to itself). Ports here come from
/// 20000–32767, starting at a place that differs per process, each checked by binding it.
/// </summary>
public static class LoopbackPorts
{
    private const int First = 20_000;
    private const int Count = 12_768; // up to 32767, just below the ephemeral range
    private static int _cursor = Random.Shared.Next(Count);

    /// <summary><paramref name="count"/> distinct ports that were free a moment ago (a bind may still lose a race: retry on address-in-use).</summary>
    public static int[] Free(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var ports = new int[count];
        var found = 0;
        for (var attempt = 0; attempt < Count && found < count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _cursor) % Count);
            if (IsFree(port))
            {
                ports[found++] = port;
            }
        }
        if (found < count)
        {
            throw new InvalidOperationException($"found only {found} of {count} free loopback ports in {First}..{First + Count - 1}");
        }

        return ports;
    }

    /// <summary>True when a listener can bind 127.0.0.1:<paramref name="port"/> now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
