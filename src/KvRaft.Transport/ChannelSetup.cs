using System.Net;
using DotNetty.Buffers;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;

namespace KvRaft.Transport;

/// <summary>Bootstrap and channel settings shared by the peer transport and the client listener.</summary>
internal static class ChannelSetup
{
    static ChannelSetup()
    {
        // DotNetty samples pooled buffers for leak tracking by default and records a stack trace for each
        // sample: seen at 1-2% of a node's CPU. Every buffer is released by our handlers (tested), so it is off.
        DotNetty.Common.ResourceLeakDetector.Level = DotNetty.Common.ResourceLeakDetector.DetectionLevel.Disabled;
    }

    // Every channel is closed (and awaited) before the loops stop, so no quiet period is needed;
    // DotNetty 0.7.6 with a non-zero quiet period waits for the whole timeout.
    public static readonly TimeSpan ShutdownQuietPeriod = TimeSpan.Zero;
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Stops <paramref name="group"/>, waiting at most a little past <see cref="ShutdownTimeout"/>. DotNetty 0.7.6
    /// checks its timeout only once a loop runs out of tasks: a loop that keeps being handed tasks while it shuts
    /// down spins in ConfirmShutdown and never terminates (seen in a test host: one core at 100% for minutes and a
    /// node stop that never returned). Stopping must not depend on it; false when the group did not terminate.
    /// </summary>
    public static async Task<bool> ShutdownAsync(IEventLoopGroup group)
    {
        var terminated = group.ShutdownGracefullyAsync(ShutdownQuietPeriod, ShutdownTimeout);
        var first = await Task.WhenAny(terminated, Task.Delay(ShutdownTimeout + TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        return first == terminated;
    }

    // Receive buffers adapt between 1 KiB and 256 KiB per read.
    private static readonly IRecvByteBufAllocator ReceiveBuffers = new AdaptiveRecvByteBufAllocator(1024, 16 * 1024, 256 * 1024);

    /// <summary>
    /// A listening bootstrap: pooled buffers, no Nagle. No reuse option: .NET sets SO_REUSEADDR on Unix listeners itself
    /// (a restarted node rebinds its port at once), whereas DotNetty's SoReuseaddr becomes .NET's ReuseAddress, which on
    /// Linux also sets SO_REUSEPORT and so let a second process listen on a port in use (the kernel then split new
    /// connections between the two).
    /// <paramref name="tls"/>, when given, makes each channel's TLS handler (see <see cref="Initialize"/>).
    /// </summary>
    public static ServerBootstrap Server(IEventLoopGroup group, int writeBufferBytesMax, Func<IChannelHandler> handler, Func<IChannel, IChannelHandler>? tls = null) =>
        new ServerBootstrap()
            .Group(group)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 128)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildOption(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .ChildOption(ChannelOption.RcvbufAllocator, ReceiveBuffers)
            .ChildHandler(new ActionChannelInitializer<ISocketChannel>(channel => Initialize(channel, writeBufferBytesMax, handler(), tls)));

    /// <summary>A dialling bootstrap with the same settings and a connect timeout.</summary>
    public static Bootstrap Client(IEventLoopGroup group, int writeBufferBytesMax, int connectTimeoutMilliseconds, Func<IChannelHandler> handler, Func<IChannel, IChannelHandler>? tls = null) =>
        new Bootstrap()
            .Group(group)
            .Channel<TcpSocketChannel>()
            .Option(ChannelOption.TcpNodelay, true)
            .Option(ChannelOption.ConnectTimeout, TimeSpan.FromMilliseconds(connectTimeoutMilliseconds))
            .Option(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .Option(ChannelOption.RcvbufAllocator, ReceiveBuffers)
            .Handler(new ActionChannelInitializer<ISocketChannel>(channel => Initialize(channel, writeBufferBytesMax, handler(), tls)));

    /// <summary>An IP address for <paramref name="host"/>: a literal, or the first (IPv4 first) address it resolves to.</summary>
    public static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellation)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }
        var addresses = await Dns.GetHostAddressesAsync(host, cancellation).ConfigureAwait(false);
        return addresses.OrderBy(candidate => candidate.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1).First();
    }

    private static void Initialize(ISocketChannel channel, int writeBufferBytesMax, IChannelHandler handler, Func<IChannel, IChannelHandler>? tls)
    {
        SetWriteBufferBytesMax(channel, writeBufferBytesMax);
        // The one place a TLS handler enters a pipeline: first, so that every frame handler sees plain bytes.
        if (tls is not null)
        {
            channel.Pipeline.AddLast("tls", tls(channel));
        }
        channel.Pipeline.AddLast(handler);
    }

    /// <summary>The channel stops accepting writes (IsWritable false) above <paramref name="writeBufferBytesMax"/> flushed bytes not yet on the socket.</summary>
    public static void SetWriteBufferBytesMax(IChannel channel, int writeBufferBytesMax)
    {
        // Keep high >= low while setting.
        var configuration = channel.Configuration;
        var low = Math.Max(1, writeBufferBytesMax / 2);
        if (writeBufferBytesMax >= configuration.WriteBufferLowWaterMark)
        {
            configuration.WriteBufferHighWaterMark = writeBufferBytesMax;
            configuration.WriteBufferLowWaterMark = low;
        }
        else
        {
            configuration.WriteBufferLowWaterMark = low;
            configuration.WriteBufferHighWaterMark = writeBufferBytesMax;
        }
    }
}
