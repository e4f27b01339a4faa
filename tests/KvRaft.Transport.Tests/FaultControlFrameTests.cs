// Goal: a fault control frame on a client connection reaches the handler and is answered on that connection, refused as disabled by a handler that does not implement it; method: raw sockets against a live listener.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class FaultControlFrameTests
{
    [Fact]
    public async Task A_handler_without_fault_control_answers_disabled_and_keeps_the_connection()
    {
        await using var listener = new ClientListener("127.0.0.1", 0, new PlainHandler(), new RecordingLogger());
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frame(new FaultControlRequest { RequestId = 5, Action = FaultControlAction.Heal }));
        FaultControlResponse response = Parse((await Wait.For(raw.ReadFramesAsync(1), "the answer"))[0]);
        Assert.Equal(5UL, response.RequestId);
        Assert.Equal(FaultControlStatus.Disabled, response.Status);
        Assert.Equal("fault control is disabled", response.Message);

        await raw.SendAsync(Frame(new FaultControlRequest { RequestId = 6, Action = FaultControlAction.Isolate, NodeId = 2 }));
        Assert.Equal(6UL, Parse((await Wait.For(raw.ReadFramesAsync(1), "the second answer"))[0]).RequestId);
    }

    [Fact]
    public async Task A_fault_control_request_reaches_the_handler_as_sent()
    {
        var handler = new FaultHandler();
        await using var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger());
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        var request = new FaultControlRequest { RequestId = 9, Action = FaultControlAction.Partition, Groups = [[1, 2], [3]] };
        await raw.SendAsync(Frame(request));
        Assert.Equal(request, (await handler.Requests.WaitForCountAsync(1, "the request"))[0]);
        FaultControlResponse response = Parse((await Wait.For(raw.ReadFramesAsync(1), "the answer"))[0]);
        Assert.Equal(FaultControlStatus.Ok, response.Status);
        Assert.Equal("partition [1 2] [3]", response.Message);
    }

    private static byte[] Frame(in FaultControlRequest request)
    {
        var bytes = new byte[FaultControlRequestCodec.FrameSize(request)];
        FaultControlRequestCodec.FormatFrame(request, bytes);
        return bytes;
    }

    private static FaultControlResponse Parse((FrameType Type, byte[] Body) frame)
    {
        Assert.Equal(FrameType.FaultControlResponse, frame.Type);
        Assert.True(FaultControlResponseCodec.Parse(frame.Body, out var response).IsOk);
        return response;
    }

    private class PlainHandler : IClientHandler
    {
        public void OnClientRequest(ClientConnection connection, in ClientRequest request)
        {
        }

        public void OnClientDisconnected(ClientConnection connection)
        {
        }
    }

    private sealed class FaultHandler : PlainHandler, IClientHandler
    {
        public Recorder<FaultControlRequest> Requests { get; } = new();

        public void OnFaultControl(ClientConnection connection, in FaultControlRequest request)
        {
            Requests.Add(request);
            connection.ReplyFaultControl(new FaultControlResponse { RequestId = request.RequestId, Status = FaultControlStatus.Ok, Message = request.Describe() });
        }
    }
}
