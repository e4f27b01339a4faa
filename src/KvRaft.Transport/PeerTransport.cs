using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Net;
using DotNetty.Transport.Channels;
using K4os.Compression.LZ4;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport;

/// <summary>
/// TCP transport between the nodes of a cluster. Two long-lived connections per pair of nodes, one per
/// <see cref="PeerLane"/> (election messages and heartbeats on the control lane, the rest on the bulk lane:
/// <see cref="LaneOf"/>): the node with the lower id dials each (and redials with jittered exponential backoff), the
/// higher id accepts; a new accepted connection from a peer replaces (and closes) the previous one of its lane.
/// Messages to a peer that is not connected, or whose queue is full, are dropped and counted:
/// Raft retransmits. <see cref="Send"/> never blocks on the network; <see cref="Flush"/> sends. The peers are those
/// of the options, then those <see cref="SetPeers"/> names (the members of the configuration in effect).
/// </summary>
public sealed partial class PeerTransport : IAsyncDisposable
{
    // The peers by id: replaced whole (under _peersGate) by SetPeers, read without a lock on every send.
    private volatile FrozenDictionary<int, PeerLink> _links;
    private readonly MultithreadEventLoopGroup _group;
    private readonly bool _ownsGroup;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _dialLoops = [];
    private readonly ChannelSet _channels = new();
    private readonly TlsCredentials? _tls; // null: plain TCP
    private IChannel? _listener;
    private int _disposed;

    /// <summary>Creates the transport (threads start; no socket opens before <see cref="StartAsync"/>).</summary>
    public PeerTransport(TransportOptions options, IPeerHandler handler, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        Options = options;
        Handler = handler;
        Logger = logger;
        _tls = options.Tls is null ? null : new TlsCredentials(options.Tls, logger);
        _links = options.Peers.ToFrozenDictionary(peer => peer.NodeId, NewLink);
        _group = options.Loop?.Group ?? new MultithreadEventLoopGroup(options.IoThreads);
        _ownsGroup = options.Loop is null;
    }

    /// <summary>Counters: frames and bytes, drops, reconnects, refused frames.</summary>
    public TransportStatistics Statistics { get; } = new();

    /// <summary>The port listened on (the actual one when <see cref="TransportOptions.ListenPort"/> is 0); valid after <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// Raised on an I/O thread each time a hello-checked bulk-lane connection to a peer (the node id) is
    /// established, dialled or accepted. Handlers must return fast.
    /// </summary>
    public event Action<int>? PeerConnected;

    /// <summary>Like <see cref="PeerConnected"/>, for a connection of either lane (tests wait for both).</summary>
    internal event Action<int, PeerLane>? LaneConnected;

    internal TransportOptions Options { get; }

    internal IPeerHandler Handler { get; }

    internal ILogger Logger { get; }

    /// <summary>Listens, then dials every peer with a higher id in the background (returns once listening).</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var address = await ChannelSetup.ResolveAsync(Options.ListenHost, _stopping.Token).ConfigureAwait(false);
        var bootstrap = ChannelSetup.Server(_group, Options.OutboundQueueBytesMax, () => new PeerChannelHandler(this, dialledLink: null),
            _tls is null ? null : channel => TlsSetup.Server(channel, _tls.Current));
        _listener = await bootstrap.BindAsync(address, Options.ListenPort).ConfigureAwait(false);
        Port = ((IPEndPoint)_listener.LocalAddress).Port;
        TransportLog.PeerListening(Logger, Options.LocalNodeId, address + ":" + Port);
        StartSweep();
        lock (_peersGate)
        {
            _started = true;
            foreach (var link in _links.Values)
            {
                StartDialing(link);
            }
        }
    }

    /// <summary>
    /// Formats <paramref name="message"/> into the peer's outbound queue (LZ4-compressing a large
    /// entries block) without flushing. Thread-safe; never blocks; drops (counted) when the peer is
    /// not connected or its queue is full.
    /// </summary>
    public void Send(int toNodeId, in PeerMessage message) => Send(toNodeId, 0, message);

    /// <summary>
    /// <see cref="Send(int, in PeerMessage)"/> for a message of replica group <paramref name="groupId"/>: a group frame
    /// (docs/wire-format.md, "Group frames"), or the plain frame for group 0. Every group's traffic to a peer shares the
    /// peer's two connections (the lane by the message's type), so one <see cref="Flush"/> sends them all.
    /// </summary>
    public void Send(int toNodeId, int groupId, in PeerMessage message)
    {
        if (!TryRoute(toNodeId, LaneOf(message.Type), out var connection))
        {
            return;
        }
        var entries = message.Entries;
        if (entries.Count > 0 && !entries.IsCompressed && entries.UncompressedBytes > Options.CompressAboveBytes)
        {
            SendCompressed(connection, groupId, message);
            return;
        }
        WriteMessage(connection, groupId, message);
    }

    /// <summary>Like <see cref="Send(int, in PeerMessage)"/>, for a snapshot chunk (payload LZ4-compressed when large and not yet compressed).</summary>
    public void SendSnapshotChunk(int toNodeId, in SnapshotChunk chunk) => SendSnapshotChunk(toNodeId, 0, chunk);

    /// <summary><see cref="SendSnapshotChunk(int, in SnapshotChunk)"/> for a chunk of replica group <paramref name="groupId"/>.</summary>
    public void SendSnapshotChunk(int toNodeId, int groupId, in SnapshotChunk chunk)
    {
        if (!TryRoute(toNodeId, PeerLane.Bulk, out var connection))
        {
            return;
        }
        if (chunk.Compressed || chunk.Payload.Length <= Options.CompressAboveBytes)
        {
            WriteChunk(connection, groupId, chunk);
            return;
        }
        var payload = chunk.Payload.Span;
        var compressed = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(payload.Length));
        try
        {
            var length = LZ4Codec.Encode(payload, compressed);
            if (length <= 0 || length >= payload.Length)
            {
                WriteChunk(connection, groupId, chunk);
                return;
            }
            Statistics.BlockCompressed();
            var smaller = chunk with { Compressed = true, UncompressedBytes = payload.Length, Payload = compressed.AsMemory(0, length) };
            WriteChunk(connection, groupId, smaller);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    /// <summary>Group 0 in the plain frame (the one-group node's path, unchanged), other groups in a group frame.</summary>
    private void WriteMessage(PeerConnection connection, int groupId, in PeerMessage message)
    {
        if (groupId == 0)
        {
            Write<PeerMessageFrame, PeerMessage>(connection, message);
        }
        else
        {
            Write<GroupMessageFrame, GroupMessage>(connection, new GroupMessage(groupId, message));
        }
    }

    private void WriteChunk(PeerConnection connection, int groupId, in SnapshotChunk chunk)
    {
        if (groupId == 0)
        {
            Write<SnapshotChunkFrame, SnapshotChunk>(connection, chunk);
        }
        else
        {
            Write<GroupChunkFrame, GroupChunk>(connection, new GroupChunk(groupId, chunk));
        }
    }

    /// <summary>Sends everything written since the last flush: one flush per connection with pending writes.</summary>
    public void Flush()
    {
        foreach (var link in _links.Values)
        {
            link.Control?.Queue.Flush();
            link.Connection?.Queue.Flush();
        }
    }

    /// <summary>
    /// Closes the connection <paramref name="sender"/> names, if it is still the peer's current one (a replaced
    /// connection is closed already): what it had queued is dropped, and the peer's link redials or waits for the
    /// peer's next call as after any disconnect. The host calls it when a peer sent what no correct peer sends.
    /// Thread-safe.
    /// </summary>
    /// <returns>True when that connection was open and is now closing.</returns>
    public bool Close(PeerSender sender)
    {
        var connection = FindLink(sender.NodeId)?.Find(sender.ConnectionId);
        if (connection is null || !connection.IsOpen)
        {
            return false;
        }
        Statistics.ConnectionClosedForInput();
        connection.Close();
        return true;
    }

    /// <summary>True while a hello-checked bulk-lane connection to <paramref name="nodeId"/> is open.</summary>
    public bool IsConnected(int nodeId) => FindLink(nodeId)?.Connection?.IsOpen ?? false;

    /// <summary>Stops dialling, closes every connection and the listener, and stops the I/O threads.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }
        if (_listener is not null)
        {
            await _listener.CloseAsync().ConfigureAwait(false);
        }
        Task[] dialLoops;
        lock (_peersGate)
        {
            dialLoops = _dialLoops.ToArray();
        }
        await Task.WhenAll(dialLoops).ConfigureAwait(false);
        await _channels.CloseAllAsync().ConfigureAwait(false);
        if (_ownsGroup && !await ChannelSetup.ShutdownAsync(_group).ConfigureAwait(false))
        {
            TransportLog.ShutdownIncomplete(Logger, "peer");
        }
        _stopping.Dispose();
    }

    internal ChannelSet Channels => _channels;

    /// <summary>Whether <paramref name="nodeId"/> is this node or one of its peers (it knows their addresses).</summary>
    public bool KnowsPeer(int nodeId) => nodeId == Options.LocalNodeId || _links.ContainsKey(nodeId);

    internal PeerLink? FindLink(int nodeId) => _links.GetValueOrDefault(nodeId);

    internal void Attached(PeerLink link, PeerConnection connection, string direction)
    {
        link.Attach(connection);
        if (link.Removed)
        {
            connection.Close(); // the peer was removed while this connection said hello
            return;
        }
        Statistics.ConnectionEstablished();
        TransportLog.PeerConnected(Logger, Options.LocalNodeId, link.NodeId, direction, connection.Lane);
        if (connection.Lane == PeerLane.Bulk)
        {
            PeerConnected?.Invoke(link.NodeId);
        }
        LaneConnected?.Invoke(link.NodeId, connection.Lane);
    }

    /// <summary>
    /// A connection of either lane closed: reported to the handler (its queued input is then dropped, and a follower
    /// that lost its leader campaigns soon). A killed or cut-off peer closes both; the first close noticed is the earliest news.
    /// </summary>
    internal void Detached(PeerLink link, PeerConnection connection)
    {
        connection.Queue.Close();
        if (link.Detach(connection) && Volatile.Read(ref _disposed) == 0)
        {
            TransportLog.PeerDisconnected(Logger, Options.LocalNodeId, link.NodeId, connection.Lane);
            Handler.OnPeerDisconnected(connection.Sender);
        }
    }

    private bool TryRoute(int toNodeId, PeerLane lane, out PeerConnection connection)
    {
        connection = null!;
        var link = FindLink(toNodeId);
        if (link is null)
        {
            Statistics.DropDisconnected();
            TransportLog.UnknownPeer(Logger, Options.LocalNodeId, toNodeId);
            return false;
        }
        var current = link.Route(lane);
        if (current is null)
        {
            Statistics.DropDisconnected();
            return false;
        }
        connection = current;
        return true;
    }

    private void SendCompressed(PeerConnection connection, int groupId, in PeerMessage message)
    {
        var entries = message.Entries;
        byte[]? formatted = null;
        var compressed = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(entries.UncompressedBytes));
        try
        {
            var block = entries.Block.Span;
            if (block.IsEmpty)
            {
                // Source form: the encoded block is what Format writes right after the entries header.
                formatted = ArrayPool<byte>.Shared.Rent(PeerMessageCodec.Size(message));
                PeerMessageCodec.Format(message, formatted);
                block = formatted.AsSpan(PeerMessageCodec.FixedBytes + PeerMessageCodec.EntriesHeaderBytes, entries.UncompressedBytes);
            }
            var length = LZ4Codec.Encode(block, compressed);
            if (length <= 0 || length >= block.Length)
            {
                WriteMessage(connection, groupId, message);
                return;
            }
            Statistics.BlockCompressed();
            var smaller = message with { Entries = EntryList.FromCompressed(compressed.AsMemory(0, length), entries.Count, entries.UncompressedBytes) };
            WriteMessage(connection, groupId, smaller);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
            if (formatted is not null)
            {
                ArrayPool<byte>.Shared.Return(formatted);
            }
        }
    }

    private void Write<TFormat, T>(PeerConnection connection, in T value) where TFormat : IFrameFormat<T>
    {
        switch (connection.Queue.Write<TFormat, T>(value, out var frameBytes))
        {
            case WriteOutcome.Written:
                Statistics.FrameSent(frameBytes, connection.NodeId);
                break;
            case WriteOutcome.Closed:
                Statistics.DropDisconnected();
                break;
            default:
                Statistics.DropQueueFull();
                break;
        }
    }

    /// <summary>Dials both lanes of <paramref name="link"/>, each with its own backoff, until the transport stops or the peer is removed.</summary>
    private async Task DialLanesAsync(PeerLink link)
    {
        using var dialing = link.Dialing!; // cancelled when the transport stops or the peer is removed
        var stopping = dialing.Token;
        await Task.WhenAll(DialLoopAsync(link, PeerLane.Bulk, stopping), DialLoopAsync(link, PeerLane.Control, stopping)).ConfigureAwait(false);
    }

    private async Task DialLoopAsync(PeerLink link, PeerLane lane, CancellationToken stopping)
    {
        var bootstrap = ChannelSetup.Client(_group, QueueBytesMax(lane), Options.ConnectTimeoutMilliseconds,
            () => new PeerChannelHandler(this, link, lane), _tls is null ? null : channel => TlsSetup.Client(channel, _tls.Current, link.NodeId));
        var random = new Random(HashCode.Combine(Options.LocalNodeId, link.NodeId, lane, Environment.TickCount));
        var failures = 0;
        var connectedBefore = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var address = await ChannelSetup.ResolveAsync(link.Endpoint.Host, stopping).ConfigureAwait(false);
                var channel = await bootstrap.ConnectAsync(new IPEndPoint(address, link.Endpoint.Port)).WaitAsync(stopping).ConfigureAwait(false);
                if (connectedBefore || failures > 0)
                {
                    Statistics.Reconnected();
                }
                connectedBefore = true;
                var lifetime = Stopwatch.StartNew();
                await channel.CloseCompletion.WaitAsync(stopping).ConfigureAwait(false);
                // A connection closed at once (a refused hello, a peer shutting down) counts as a failure: back off further.
                failures = lifetime.ElapsedMilliseconds >= Options.ReconnectDelayMaxMilliseconds ? 0 : failures + 1;
                await Task.Delay(BackoffMilliseconds(failures, random), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failures++;
                Statistics.ConnectAttemptFailed();
                var delay = BackoffMilliseconds(failures, random);
                TransportLog.ConnectFailed(Logger, Options.LocalNodeId, link.NodeId, link.Endpoint.Host, link.Endpoint.Port, delay, exception);
                if (!await DelayAsync(delay, stopping).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    private int BackoffMilliseconds(int failures, Random random)
    {
        var exponent = Math.Clamp(failures - 1, 0, 20);
        var delay = (int)Math.Min((long)Options.ReconnectDelayMinMilliseconds << exponent, Options.ReconnectDelayMaxMilliseconds);
        return (delay / 2) + random.Next((delay / 2) + 1);
    }

    private static async Task<bool> DelayAsync(int milliseconds, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(milliseconds, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
