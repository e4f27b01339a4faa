// Goal: the server executable's multi-group process (--groups) runs: three in-process GroupServers elect a leader in every
// group and replicate through the group frames of one connection per pair, one shared log per process; the groups and a
// client's writes survive a restart of every process; a one-group data directory is refused. Method: real transports and
// FASTER storage on 127.0.0.1 and a temporary folder (deleted at the end), statuses read on each server's loop, waits
// bounded by a deadline (no sleeps as synchronisation).
using KvRaft.Client;
using KvRaft.Raft;
using KvRaft.Server.Hosting;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class GroupServerTests : IAsyncLifetime
{
    private const int Groups = 3;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-groups-" + Guid.NewGuid().ToString("N"));
    private readonly List<GroupServer> _servers = [];
    private ServerOptions[] _options = [];

    public Task InitializeAsync()
    {
        var ports = Transport.LoopbackPorts.Free(6);
        var peers = string.Join(',', Enumerable.Range(1, 3).Select(id => $"{id}=127.0.0.1:{ports[id - 1]}"));
        _options = [.. Enumerable.Range(1, 3).Select(id => new ServerOptions
        {
            Id = id,
            PeerListen = $"127.0.0.1:{ports[id - 1]}",
            ClientListen = $"127.0.0.1:{ports[id + 2]}",
            Peers = peers,
            ClusterId = 0x6A0F,
            DataDir = Path.Combine(_folder, "node" + id),
            Groups = Groups,
        })];
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await StopAllAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Every_group_elects_a_leader_and_commits_on_every_process_and_survives_a_restart_of_all()
    {
        await StartAllAsync();
        var before = await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups)]);
        await using (var client = KvClient.Connect(_options.Select(o => o.ClientListen).ToArray(), new KvClientOptions { OperationTimeout = TimeSpan.FromSeconds(15) }))
        {
            await client.PutAsync("k", "v");
        }
        Assert.All(_servers, server => Assert.Equal(0, server.UnknownGroupFrames));
        Assert.All(_servers, server => Assert.True(server.LogCommits > 0));
        await StopAllAsync();
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. before.Select(commit => commit + 1)]); // each new leader's entry commits after the old ones
        await using (var client = KvClient.Connect(_options.Select(o => o.ClientListen).ToArray(), new KvClientOptions { OperationTimeout = TimeSpan.FromSeconds(15) }))
        {
            Assert.Equal("v", await client.GetAsync("k"));
        }
    }

    [Fact]
    public async Task A_data_directory_of_a_one_group_node_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(_options[0].DataDir, "log"));
        await Assert.ThrowsAsync<DataDirectoryRefusedException>(() => GroupServer.StartAsync(_options[0], NullLoggerFactory.Instance));
    }

    private async Task StartAllAsync()
    {
        foreach (var options in _options)
        {
            _servers.Add(await GroupServer.StartAsync(options, NullLoggerFactory.Instance));
        }
    }

    private async Task StopAllAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _servers.Clear();
    }

    /// <summary>
    /// Waits until every group has one leader in its highest term and every replica of group g has committed at least
    /// <paramref name="atLeast"/>[g] entries; returns each group's lowest commit index over the processes.
    /// </summary>
    private async Task<long[]> WaitUntilEveryGroupCommitsAsync(long[] atLeast)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (true)
        {
            var statuses = await Task.WhenAll(_servers.Select(server => server.GroupStatusesAsync()));
            var settled = Enumerable.Range(0, Groups).All(group =>
            {
                var replicas = statuses.Select(process => process[group]).ToArray();
                var term = replicas.Max(status => status.Term);
                return replicas.Count(status => status.Role == Role.Leader && status.Term == term) == 1 && replicas.All(status => status.Commit >= atLeast[group]);
            });
            if (settled)
            {
                return [.. Enumerable.Range(0, Groups).Select(group => statuses.Min(process => process[group].Commit))];
            }
            await Task.Delay(20, deadline.Token); // polling the loop's statuses, bounded by the deadline
        }
    }
}
