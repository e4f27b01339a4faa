// Goal: a node's transports can share one IoLoop that runs their socket I/O and the node's tasks on one thread, and it outlives them; method: a listener on a shared loop, a raw client, the thread of the handler's callback compared with the loop's, then disposal in the host's order; a scheduled action (a system timer since DotNetty's scheduled queue made the loop spin) runs on the loop thread after its delay, and a stopped loop refuses one.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class IoLoopTests
{
    [Fact]
    public async Task A_listener_on_a_shared_loop_reads_on_the_loop_thread_and_the_loop_outlives_it()
    {
        await using var loop = new IoLoop();
        var handler = new ThreadRecordingHandler(loop);
        var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger(), new ClientListenerOptions { Loop = loop });
        await listener.StartAsync();
        await using (var raw = await RawConnection.ConnectAsync(listener.Port))
        {
            var request = new ClientRequest { RequestId = 1, Op = ClientOp.Status };
            var frame = new byte[ClientRequestCodec.FrameSize(request)];
            ClientRequestCodec.FormatFrame(request, frame);
            await raw.SendAsync(frame);
            Assert.True((await handler.OnLoop.WaitForCountAsync(1, "the request"))[0], "the request was handled off the loop's thread");
        }
        await listener.DisposeAsync();

        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(loop.Execute(() => ran.SetResult(loop.InLoop)), "the loop stopped with the listener");
        Assert.True(await Wait.For(ran.Task, "a task on the loop"));
        Assert.False(loop.InLoop);

        await loop.DisposeAsync();
        Assert.False(loop.Execute(() => { }), "a stopped loop took a task");
    }

    [Fact]
    public async Task A_scheduled_action_runs_on_the_loop_thread_after_its_delay_and_a_stopped_loop_refuses_one()
    {
        await using var loop = new IoLoop();
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(20);
        Assert.True(loop.Schedule(() => ran.SetResult(loop.InLoop), delay), "a running loop refused a scheduled action");
        Assert.True(await Wait.For(ran.Task, "the scheduled action"), "the scheduled action ran off the loop's thread");
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= delay / 2, "the scheduled action ran long before its delay");

        await loop.DisposeAsync();
        Assert.False(loop.Schedule(() => { }, delay), "a stopped loop took a scheduled action");
    }

    private sealed class ThreadRecordingHandler(IoLoop loop) : IClientHandler
    {
        public Recorder<bool> OnLoop { get; } = new();

        public void OnClientRequest(ClientConnection connection, in ClientRequest request) => OnLoop.Add(loop.InLoop);

        public void OnClientDisconnected(ClientConnection connection)
        {
        }
    }
}
