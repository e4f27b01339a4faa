// Goal: two server processes of one cluster started with different --groups never exchange a Raft message: each
// refuses the other's peer connection as another cluster shape, counts it, and keeps running its groups; method: two
// in-process GroupServers (node 3 of --peers never runs) on 127.0.0.1 and a temporary folder (deleted at the end), their
// counters read until a deadline (no sleeps as synchronisation), then each process's group statuses read on its loop.
using KvRaft.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ShapeMismatchTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-shapes-" + Guid.NewGuid().ToString("N"));
    private readonly List<GroupServer> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Processes_started_with_different_groups_refuse_each_other_and_keep_running()
    {
        var options = GroupServerTests.LoopbackOptions(_folder, 0x5A4E, groups: 2);
        foreach (var (id, groups) in new[] { (1, 2), (2, 4) })
        {
            _servers.Add(await GroupServer.StartAsync(options[id - 1] with { Groups = groups }, NullLoggerFactory.Instance));
        }

        var deadline = DateTime.UtcNow + Limit;
        while (_servers.Any(server => server.PeerShapeMismatches == 0))
        {
            Assert.True(DateTime.UtcNow < deadline, $"shape mismatches counted: {string.Join(", ", _servers.Select(server => server.PeerShapeMismatches))}");
            await Task.Delay(20);
        }

        Assert.False(_servers[0].IsPeerConnected(2));
        Assert.False(_servers[1].IsPeerConnected(1));
        Assert.Equal(3, (await _servers[0].GroupStatusesAsync()).Length); // both loops still run: the controller and 2 data groups
        Assert.Equal(5, (await _servers[1].GroupStatusesAsync()).Length); // the controller and 4 data groups
        Assert.All(_servers, server => Assert.Equal(0, server.UnknownGroupFrames)); // no group frame of another shape got through
    }
}
