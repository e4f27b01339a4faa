// Goal: every public operation does what its name says against one fake server. Method: a fake applying requests on an in-memory store; async and blocking calls.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class OperationTests
{
    [Fact]
    public async Task Put_then_get_returns_the_value_and_get_of_an_absent_key_returns_null()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("a", "1"));
        Assert.Equal("1", await Bounded.Wait(client.GetAsync("a")));
        Assert.Null(await Bounded.Wait(client.GetAsync("absent")));
    }

    [Fact]
    public async Task Append_extends_and_delete_reports_whether_the_key_existed()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.AppendAsync("a", "x"));
        await Bounded.Wait(client.AppendAsync("a", "y"));
        Assert.Equal("xy", await Bounded.Wait(client.GetAsync("a")));
        Assert.True(await Bounded.Wait(client.DeleteAsync("a")));
        Assert.False(await Bounded.Wait(client.DeleteAsync("a")));
    }

    [Fact]
    public async Task Compare_and_set_swaps_only_on_the_expected_value_and_reports_the_current_one()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        Assert.Equal(new CasResult(true, "1"), await Bounded.Wait(client.CompareAndSetAsync("c", null, "1")));
        Assert.Equal(new CasResult(false, "1"), await Bounded.Wait(client.CompareAndSetAsync("c", null, "2")));
        Assert.Equal(new CasResult(false, "1"), await Bounded.Wait(client.CompareAndSetAsync("c", "9", "2")));
        Assert.Equal(new CasResult(true, "2"), await Bounded.Wait(client.CompareAndSetAsync("c", "1", "2")));
    }

    [Fact]
    public async Task Byte_overloads_round_trip_arbitrary_bytes()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        byte[] key = [0, 255, 7], value = [1, 2, 0, 3];
        await Bounded.Wait(client.PutAsync(key, value));
        Assert.Equal(value, await Bounded.Wait(client.GetBytesAsync(key)));
        var swapped = await Bounded.Wait(client.CompareAndSetAsync(key, value, new byte[] { 9 }));
        Assert.True(swapped.Swapped);
        Assert.Equal([9], swapped.Current);
    }

    [Fact]
    public async Task Blocking_calls_behave_like_the_async_ones()
    {
        await using var server = new FakeServer();
        using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var work = Task.Run(() =>
        {
            client.Put("s", "1");
            client.Append("s", "2");
            Assert.Equal("12", client.Get("s"));
            Assert.Equal(new CasResult(true, "3"), client.CompareAndSet("s", "12", "3"));
            Assert.True(client.Delete("s"));
            Assert.Equal(NodeRole.Leader, client.Status(server.Endpoint).Role);
        });
        await Bounded.Wait(work);
    }

    [Fact]
    public async Task Status_asks_the_named_server_for_its_raft_state()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var status = await Bounded.Wait(client.StatusAsync(server.Endpoint));
        Assert.Equal(3, status.Term);
        Assert.True(status.LeaderKnown);
    }

    [Fact]
    public async Task ConnectAsync_with_no_reachable_endpoint_throws_cluster_unavailable()
    {
        var error = await Bounded.Throws<KvClusterUnavailableException>(() => KvClient.ConnectAsync([Bounded.DeadEndpoint(), Bounded.DeadEndpoint()], Bounded.Options()));
        Assert.False(KvOutcome.Classify(error));
    }
}
