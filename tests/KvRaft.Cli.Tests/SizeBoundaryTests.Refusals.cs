// Goal: what is one byte over a limit is refused with a clear TooLarge answer and never stops a node: a value one byte over ValueBytesMax (refused by the client library before sending; sent raw, answered TooLarge on a connection that stays open), a frame over the request frame limit (answered TooLarge, then the connection closes), an Append that would grow a value past ValueBytesMax, and the CLI given one byte too many. Method: the same three-process LocalCluster; raw frames are written to the leader's client port with a plain socket.
using System.Buffers.Binary;
using System.Net.Sockets;
using KvRaft.Client;
using KvRaft.Protocol;

namespace KvRaft.Cli.Tests;

public sealed partial class SizeBoundaryTests
{
    [Fact]
    public async Task A_value_one_byte_over_is_refused_too_large_by_the_client_and_the_server_and_no_node_stops()
    {
        using var folder = new TempFolder("kvraft-size-over");
        await using var cluster = await StartAsync(folder);
        var over = new byte[ProtocolLimits.ValueBytesMax + 1];
        await Assert.ThrowsAsync<KvTooLargeException>(() => Bounded.Wait(cluster.Client.PutAsync("k"u8.ToArray(), over)));
        using var socket = await ConnectToLeaderAsync(cluster);
        await socket.SendAsync(PutFrame(requestId: 41, valueBytes: ProtocolLimits.ValueBytesMax + 1));
        var answer = await Bounded.Wait(ReadResponseAsync(socket));
        Assert.Equal((41UL, ClientStatus.TooLarge), (answer.RequestId, answer.Status));
        Assert.Contains("ValueBytesMax", answer.Message, StringComparison.Ordinal);
        await socket.SendAsync(StatusFrame(requestId: 42)); // the connection stays open: the stream was intact
        Assert.Equal((42UL, ClientStatus.Ok), ((await Bounded.Wait(ReadResponseAsync(socket))).RequestId, ClientStatus.Ok));
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task A_frame_over_the_request_frame_limit_is_answered_too_large_then_closed_and_no_node_stops()
    {
        using var folder = new TempFolder("kvraft-size-frame");
        await using var cluster = await StartAsync(folder);
        using var socket = await ConnectToLeaderAsync(cluster);
        var head = new byte[FrameHeader.Bytes + ClientRequestCodec.FixedBytes]; // only the header, request id and op: the body never comes
        BinaryPrimitives.WriteUInt32LittleEndian(head, ProtocolLimits.GroupRequestFrameBytesMax + 1);
        head[4] = ProtocolLimits.Version;
        head[5] = (byte)FrameType.ClientRequest;
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(FrameHeader.Bytes), 43);
        head[FrameHeader.Bytes + 8] = (byte)ClientOp.Put;
        await socket.SendAsync(head);
        var answer = await Bounded.Wait(ReadResponseAsync(socket));
        Assert.Equal((43UL, ClientStatus.TooLarge), (answer.RequestId, answer.Status));
        Assert.Equal(0, await Bounded.Wait(socket.ReceiveAsync(new byte[1].AsMemory()).AsTask())); // then closed
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task An_append_growing_a_maximal_value_is_refused_too_large_and_the_value_is_unchanged()
    {
        using var folder = new TempFolder("kvraft-size-append");
        await using var cluster = await StartAsync(folder);
        var value = Filled(ProtocolLimits.ValueBytesMax, seed: 5);
        await Bounded.Wait(cluster.Client.PutAsync("full"u8.ToArray(), value));
        var error = await Assert.ThrowsAsync<KvTooLargeException>(() => Bounded.Wait(cluster.Client.AppendAsync("full"u8.ToArray(), "x"u8.ToArray())));
        Assert.False(KvOutcome.Classify(error));
        Assert.Equal(value, await Bounded.Wait(cluster.Client.GetBytesAsync("full"u8.ToArray())));
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task The_cli_refuses_a_value_one_byte_over_with_a_clear_message_and_the_usage_exit_code()
    {
        using var folder = new TempFolder("kvraft-size-cli-over");
        await using var cluster = await StartAsync(folder);
        var endpoints = string.Join(',', cluster.ClientEndpoints);
        var put = await Tool.RunAsync("kvraft.dll", ["put", "big", "-", "--endpoints", endpoints], input: new string('v', ProtocolLimits.ValueBytesMax + 1));
        Assert.Equal(2, put.ExitCode);
        Assert.Contains("too large", put.Error, StringComparison.Ordinal);
        Assert.Contains(ProtocolLimits.ValueBytesMax.ToString(System.Globalization.CultureInfo.InvariantCulture), put.Error, StringComparison.Ordinal);
        await AssertEveryNodeServes(cluster);
    }

    private static async Task<Socket> ConnectToLeaderAsync(LocalCluster.LocalCluster cluster)
    {
        var leader = await Bounded.Wait(cluster.WaitForLeaderAsync(Bounded.Limit));
        var parts = cluster.ClientEndpoints[leader - 1].Split(':');
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Bounded.Wait(socket.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
        return socket;
    }

    /// <summary>A Put frame (client id 1, sequence 1, key "k") with a value of <paramref name="valueBytes"/>, written by hand: the codec refuses to write one over the limit.</summary>
    private static byte[] PutFrame(ulong requestId, int valueBytes)
    {
        var body = ClientRequestCodec.FixedBytes + 8 + 8 + 2 + 1 + 4 + valueBytes;
        var frame = new byte[FrameHeader.Bytes + body];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(body + 2));
        frame[4] = ProtocolLimits.Version;
        frame[5] = (byte)FrameType.ClientRequest;
        var fields = frame.AsSpan(FrameHeader.Bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(fields, requestId);
        fields[8] = (byte)ClientOp.Put;
        BinaryPrimitives.WriteUInt64LittleEndian(fields[9..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[17..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(fields[25..], 1);
        fields[27] = (byte)'k';
        BinaryPrimitives.WriteUInt32LittleEndian(fields[28..], (uint)valueBytes);
        return frame;
    }

    private static byte[] StatusFrame(ulong requestId)
    {
        var request = new ClientRequest { RequestId = requestId, Op = ClientOp.Status };
        var frame = new byte[ClientRequestCodec.FrameSize(request)];
        ClientRequestCodec.FormatFrame(request, frame);
        return frame;
    }

    private static async Task<ClientResponse> ReadResponseAsync(Socket socket)
    {
        var length = await ReadExactlyAsync(socket, FrameHeader.LengthBytes);
        var rest = await ReadExactlyAsync(socket, (int)BinaryPrimitives.ReadUInt32LittleEndian(length));
        Assert.Equal((byte)FrameType.ClientResponse, rest[1]);
        Assert.True(ClientResponseCodec.Parse(rest.AsMemory(2), out var response).IsOk);
        return response;
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int bytes)
    {
        var buffer = new byte[bytes];
        for (var read = 0; read < bytes;)
        {
            var got = await socket.ReceiveAsync(buffer.AsMemory(read));
            Assert.True(got > 0, "the connection closed before the answer");
            read += got;
        }
        return buffer;
    }
}
