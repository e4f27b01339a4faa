using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// Test machinery: changes one node's network fault rules through its client port (the node must run
/// with <c>--fault-control</c>). Faults act where messages are sent, so a rule meant for the whole
/// cluster (isolate a node, partition) is sent to every node. Each call opens its own connection,
/// sends one request and waits for its answer: the rules then in force, as the node describes them.
/// </summary>
public static class FaultControl
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    private static long _nextRequestId;

    /// <summary>Cuts <paramref name="nodeId"/> off from every other node, both ways.</summary>
    public static Task<string> IsolateAsync(string endpoint, int nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeId);
        return SendAsync(endpoint, new FaultControlRequest { Action = FaultControlAction.Isolate, NodeId = nodeId }, timeout, cancellationToken);
    }

    /// <summary>Splits the nodes into <paramref name="groups"/> that cannot reach each other (replaces the node's cuts).</summary>
    public static Task<string> PartitionAsync(string endpoint, IReadOnlyList<IReadOnlyList<int>> groups, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        int[] ids = [.. groups.SelectMany(group => group)];
        if (groups.Count is < 2 or > ProtocolLimits.VotersMax || groups.Any(group => group.Count == 0) || ids.Length > ProtocolLimits.VotersMax
            || ids.Any(id => id <= 0) || ids.Distinct().Count() != ids.Length)
        {
            throw new ArgumentException("a partition has 2 or more non-empty groups of positive node ids, each node in one group", nameof(groups));
        }
        return SendAsync(endpoint, new FaultControlRequest { Action = FaultControlAction.Partition, Groups = groups }, timeout, cancellationToken);
    }

    /// <summary>Drops every message from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> (one way).</summary>
    public static Task<string> CutAsync(string endpoint, int fromNodeId, int toNodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromNodeId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toNodeId);
        if (fromNodeId == toNodeId) throw new ArgumentException("a cut joins two different nodes", nameof(toNodeId));
        return SendAsync(endpoint, new FaultControlRequest { Action = FaultControlAction.Cut, NodeId = fromNodeId, ToNodeId = toNodeId }, timeout, cancellationToken);
    }

    /// <summary>Drops <paramref name="dropPercent"/>% of the other messages and delays the rest by 0..<paramref name="delayMillisecondsMax"/> ms.</summary>
    public static Task<string> SetUnreliableAsync(string endpoint, int dropPercent, int delayMillisecondsMax, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dropPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dropPercent, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(delayMillisecondsMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayMillisecondsMax, ProtocolLimits.FaultDelayMillisecondsMax);
        return SendAsync(endpoint, new FaultControlRequest
        {
            Action = FaultControlAction.Unreliable,
            DropPercent = dropPercent,
            DelayMillisecondsMax = delayMillisecondsMax,
        }, timeout, cancellationToken);
    }

    /// <summary>Removes every rule on the node.</summary>
    public static Task<string> HealAsync(string endpoint, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendAsync(endpoint, new FaultControlRequest { Action = FaultControlAction.Heal }, timeout, cancellationToken);

    /// <summary>
    /// Sends <paramref name="request"/> (its request id is chosen here) to the node at <paramref name="endpoint"/>;
    /// returns the rules in force after it. Throws <see cref="FaultControlException"/> when the node refuses it,
    /// <see cref="TimeoutException"/> when no answer comes in time (default 5 s), <see cref="IOException"/> or
    /// <see cref="SocketException"/> when the connection fails.
    /// </summary>
    public static async Task<string> SendAsync(string endpoint, FaultControlRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (host, port) = Endpoints.Parse(endpoint);
        request = request with { RequestId = (ulong)Interlocked.Increment(ref _nextRequestId) };
        TimeSpan limit = timeout ?? DefaultTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            var frame = new byte[FaultControlRequestCodec.FrameSize(request)];
            FaultControlRequestCodec.FormatFrame(request, frame);
            await socket.SendAsync(frame, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            FaultControlResponse response = await ReceiveAsync(socket, endpoint, deadline.Token).ConfigureAwait(false);
            if (response.RequestId != request.RequestId) throw new InvalidDataException($"{endpoint} answered request {response.RequestId}, not {request.RequestId}");
            if (response.Status != FaultControlStatus.Ok) throw new FaultControlException(endpoint, response.Status, response.Message);
            return response.Message ?? "";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to \"{request.Describe()}\" from {endpoint} within {limit.TotalSeconds:0.###} s");
        }
    }

    private static async Task<FaultControlResponse> ReceiveAsync(Socket socket, string endpoint, CancellationToken cancellation)
    {
        var buffer = new byte[FrameHeader.Bytes + FaultControlResponseCodec.FixedBytes + 2 + ProtocolLimits.TextBytesMax];
        int received = 0;
        while (true)
        {
            FrameDecodeResult decoded = FrameDecoder.Decode(buffer.AsSpan(0, received), buffer.Length - FrameHeader.LengthBytes);
            if (decoded.Status == FrameDecodeStatus.Frame)
            {
                if (decoded.Type != FrameType.FaultControlResponse) throw new InvalidDataException($"{endpoint} answered with a {decoded.Type} frame");
                ParseResult parsed = FaultControlResponseCodec.Parse(decoded.Body(buffer.AsMemory(0, received)), out FaultControlResponse response);
                return parsed.IsOk ? response : throw new InvalidDataException($"bad fault control response from {endpoint}: {parsed}");
            }
            if (decoded.Status == FrameDecodeStatus.Error) throw new InvalidDataException($"bad frame from {endpoint}: {decoded.Error}");
            int read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (read == 0) throw new IOException($"{endpoint} closed the connection without answering (a server without fault control frames?)");
            received += read;
        }
    }
}

/// <summary>A node refused a fault control request: it runs without fault control, or the request named an unknown node.</summary>
public sealed class FaultControlException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FaultControlException(string endpoint, FaultControlStatus status, string? reason)
        : base($"{endpoint} refused fault control ({status}): {reason}")
    {
        Status = status;
    }

    /// <summary>Why: <see cref="FaultControlStatus.Disabled"/> or <see cref="FaultControlStatus.InvalidArgument"/>.</summary>
    public FaultControlStatus Status { get; }
}
