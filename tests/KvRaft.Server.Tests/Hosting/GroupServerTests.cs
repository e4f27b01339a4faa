// Goal: the server executable's sharded process (--groups) runs: three in-process GroupServers elect a leader in the
// controller group and in every data group and replicate through the group frames of one connection per pair, one shared
// log per process; a KvClient routes keys of every data group to their group (one connection per process), the controller
// refuses keys, and the groups and the client's writes survive a restart of every process; the controller's
// configurations change through a client (move, leave, join, a refusal) and survive a restart of every process; a shard
// moved by the controller is pulled by its new owner across processes and served there; a stopping process hands every
// group it leads to another process (led again when the stop returns, no election timeout waited); a one-group data
// directory is refused. Method: real transports and FASTER storage on 127.0.0.1 and a temporary folder (deleted at the end), statuses
// read on each server's loop, waits bounded by a deadline (no sleeps as synchronisation).
using KvRaft.Client;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Server.Hosting;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class GroupServerTests : IAsyncLifetime
{
    private const int Groups = 3; // data groups: 1..3, with the controller 0
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-groups-" + Guid.NewGuid().ToString("N"));
    private readonly List<GroupServer> _servers = [];
    private ServerOptions[] _options = [];

    public Task InitializeAsync()
    {
        _options = LoopbackOptions(_folder, 0x6A0F, Groups);
        return Task.CompletedTask;
    }

    /// <summary>Options of three sharded processes on free 127.0.0.1 ports, each with its data directory under <paramref name="folder"/>.</summary>
    internal static ServerOptions[] LoopbackOptions(string folder, ulong clusterId, int groups)
    {
        var ports = Transport.LoopbackPorts.Free(6);
        var peers = string.Join(',', Enumerable.Range(1, 3).Select(id => $"{id}=127.0.0.1:{ports[id - 1]}"));
        var clientPeers = string.Join(',', Enumerable.Range(1, 3).Select(id => $"{id}=127.0.0.1:{ports[id + 2]}"));
        return [.. Enumerable.Range(1, 3).Select(id => new ServerOptions
        {
            Id = id,
            PeerListen = $"127.0.0.1:{ports[id - 1]}",
            ClientListen = $"127.0.0.1:{ports[id + 2]}",
            Peers = peers,
            ClientPeers = clientPeers,
            ClusterId = clusterId,
            DataDir = Path.Combine(folder, "node" + id),
            Groups = groups,
        })];
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
    public async Task Every_group_elects_a_leader_and_serves_its_keys_to_a_routing_client_and_all_survive_a_restart_of_all()
    {
        await StartAllAsync();
        var before = await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups + 1)]);
        var keys = KeysOfEveryGroup();
        await using (var client = NewClient())
        {
            foreach (var (key, group) in keys)
            {
                await client.PutAsync(key, "v-" + key);
            }
            foreach (var (key, _) in keys)
            {
                Assert.Equal("v-" + key, await client.GetAsync(key));
            }
        }
        Assert.All(_servers, server => Assert.Equal(0, server.UnknownGroupFrames));
        Assert.All(_servers, server => Assert.True(server.LogCommits > 0));
        Assert.All(_servers, server => Assert.All(server.GroupLogWrites.Skip(1), writes => Assert.True(writes > 0))); // every data group wrote
        await StopAllAsync();
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. before.Select(commit => commit + 1)]); // each new leader's entry commits after the old ones
        await using (var client = NewClient())
        {
            foreach (var (key, _) in keys)
            {
                Assert.Equal("v-" + key, await client.GetAsync(key));
            }
        }
    }

    [Fact]
    public async Task The_controller_refuses_keys_and_answers_the_bootstrap_configuration()
    {
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups + 1)]);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPEndPoint.Parse(_options[0].ClientListen));
        var get = await CallAsync(socket, 0, new ClientRequest { RequestId = 1, Op = ClientOp.Get, Key = "k"u8.ToArray() });
        Assert.Equal((ClientStatus.WrongGroup, 1L), (get.Status, get.ConfigurationNumber));
        var unhosted = await CallAsync(socket, Groups + 1, new ClientRequest { RequestId = 2, Op = ClientOp.Get, Key = "k"u8.ToArray() });
        Assert.Equal(ClientStatus.WrongGroup, unhosted.Status);
        var query = await CallAsync(socket, 0, new ClientRequest { RequestId = 3, Op = ClientOp.ShardQuery, ConfigurationNumber = -1 });
        Assert.Equal(ClientStatus.Ok, query.Status);
        var configuration = query.Configuration!;
        Assert.Equal(1, configuration.Number);
        Assert.Equal([1, 2, 3], configuration.Groups.Select(group => group.GroupId));
        Assert.Equal([.. Enumerable.Range(1, Groups)], configuration.Owners.Distinct().Order());
        var wrongOwner = configuration.Owners[ShardMap.ShardOf("k"u8, configuration.ShardCount)] % Groups + 1;
        var refused = await CallAsync(socket, wrongOwner, new ClientRequest { RequestId = 4, Op = ClientOp.Get, Key = "k"u8.ToArray() });
        Assert.Equal((ClientStatus.WrongGroup, 1L), (refused.Status, refused.ConfigurationNumber));
    }

    [Fact]
    public async Task A_shard_moved_by_the_controller_is_pulled_across_processes_with_its_data_and_served_by_its_new_owner()
    {
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups + 1)]);
        var (key, owner) = KeysOfEveryGroup()[0];
        await using var client = NewClient();
        await client.PutAsync(key, "before");
        await client.AppendAsync(key, "+1");
        var configuration = await client.QueryShardsAsync();
        var shard = ShardMap.ShardOf(System.Text.Encoding.UTF8.GetBytes(key), configuration.ShardCount);
        Assert.Equal(owner, configuration.Owners[shard]);
        Assert.Equal(2, await client.MoveShardAsync(shard, owner % Groups + 1));
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await socket.ConnectAsync(System.Net.IPEndPoint.Parse(_options[0].ClientListen));
            using var deadline = new CancellationTokenSource(Limit);
            for (ulong id = 10; ; id++) // until the old owner has applied configuration 2: a Get there, after its read index, is refused
            {
                var direct = await CallAsync(socket, owner, new ClientRequest { RequestId = id, Op = ClientOp.Get, Key = System.Text.Encoding.UTF8.GetBytes(key) });
                if (direct.Status == ClientStatus.WrongGroup)
                {
                    Assert.Equal(2, direct.ConfigurationNumber);
                    break;
                }
                await Task.Delay(20, deadline.Token); // polling the old owner, bounded by the deadline
            }
        }
        Assert.Equal("before+1", await client.GetAsync(key)); // WrongGroup from the old owner, then the new owner once it pulled the shard
        await client.AppendAsync(key, "+2");
        Assert.Equal("before+1+2", await client.GetAsync(key));
    }

    [Fact]
    public async Task A_client_changes_the_configurations_through_the_controller_and_they_survive_a_restart_of_all()
    {
        await StartAllAsync();
        var before = await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups + 1)]);
        ShardConfiguration latest;
        await using (var client = NewClient())
        {
            var bootstrap = await client.QueryShardsAsync();
            Assert.Equal(1, bootstrap.Number);
            var shard = bootstrap.Owners.ToList().IndexOf(1);
            Assert.Equal(2, await client.MoveShardAsync(shard, 2));
            Assert.Equal(3, await client.LeaveGroupAsync(3));
            var refused = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.JoinGroupAsync(Groups + 5));
            Assert.Contains("not hosted", refused.Message);
            latest = await client.QueryShardsAsync();
            Assert.Equal(3, latest.Number);
            Assert.Equal(2, latest.Owners[shard]);
            Assert.Equal([1, 2], latest.Groups.Select(group => group.GroupId));
            Assert.Equal(bootstrap, await client.QueryShardsAsync(1));
        }
        await StopAllAsync();
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. before.Select(commit => commit + 1)]);
        await using (var client = NewClient())
        {
            Assert.Equal(latest, await client.QueryShardsAsync());
            Assert.Equal(4, await client.JoinGroupAsync(3)); // a group that left joins again
        }
    }

    private KvClient NewClient() =>
        KvClient.Connect(_options.Select(o => o.ClientListen).ToArray(), new KvClientOptions { OperationTimeout = TimeSpan.FromSeconds(15) });

    /// <summary>Two keys of each data group in the bootstrap configuration, with their group.</summary>
    private static List<(string Key, int Group)> KeysOfEveryGroup()
    {
        var options = new ServerOptions { Id = 1, PeerListen = "", ClientListen = "", Peers = "1=a:1,2=b:1,3=c:1", ClientPeers = "1=a:2,2=b:2,3=c:2", DataDir = "", Groups = Groups };
        var configuration = GroupServer.Bootstrap(options, new Dictionary<int, string> { [1] = "a:1", [2] = "b:1", [3] = "c:1" }).Latest;
        var keys = new List<(string, int)>();
        for (var i = 0; keys.Count < 2 * Groups; i++)
        {
            var key = "key-" + i;
            var group = configuration.OwnerOfKey(System.Text.Encoding.UTF8.GetBytes(key));
            if (keys.Count(k => k.Item2 == group) < 2)
            {
                keys.Add((key, group));
            }
        }
        return keys;
    }

    /// <summary>One request to <paramref name="group"/> on a raw connection, and its answer.</summary>
    private static async Task<ClientResponse> CallAsync(System.Net.Sockets.Socket socket, int group, ClientRequest request)
    {
        var frame = new byte[ClientRequestCodec.FrameSize(group, request)];
        ClientRequestCodec.FormatFrame(group, request, frame);
        await socket.SendAsync(frame);
        var header = new byte[FrameHeader.Bytes];
        await ReceiveExactlyAsync(socket, header);
        var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header) - 2];
        await ReceiveExactlyAsync(socket, body);
        Assert.True(ClientResponseCodec.Parse(body, out var response).IsOk);
        return response;
    }

    private static async Task ReceiveExactlyAsync(System.Net.Sockets.Socket socket, byte[] buffer)
    {
        using var deadline = new CancellationTokenSource(Limit);
        for (var read = 0; read < buffer.Length;)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(read), deadline.Token);
            Assert.NotEqual(0, received);
            read += received;
        }
    }

    [Fact]
    public async Task A_stopping_process_hands_every_group_it_leads_to_other_processes_that_lead_when_the_stop_returns()
    {
        _options = [.. _options.Select(options => options with { ElectionTicks = 200 })]; // 2 s: no election ends on its own before the checks
        await StartAllAsync();
        await WaitUntilEveryGroupCommitsAsync([.. Enumerable.Repeat(1L, Groups + 1)]);
        var before = await Task.WhenAll(_servers.Select(server => server.GroupStatusesAsync()));
        var stopping = Enumerable.Range(0, _servers.Count).MaxBy(process => before[process].Count(status => status.Role == Role.Leader));
        var led = Enumerable.Range(0, Groups + 1).Where(group => before[stopping][group].Role == Role.Leader).ToArray();
        Assert.NotEmpty(led);
        var server = _servers[stopping];
        _servers.RemoveAt(stopping);

        await server.DisposeAsync();

        Assert.Equal(led.Length, server.HandedOverGroups);
        var after = await Task.WhenAll(_servers.Select(other => other.GroupStatusesAsync()));
        foreach (var group in led)
        {
            Assert.Single(after, process => process[group].Role == Role.Leader && process[group].Term > before[stopping][group].Term);
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
            var settled = Enumerable.Range(0, Groups + 1).All(group =>
            {
                var replicas = statuses.Select(process => process[group]).ToArray();
                var term = replicas.Max(status => status.Term);
                return replicas.Count(status => status.Role == Role.Leader && status.Term == term) == 1 && replicas.All(status => status.Commit >= atLeast[group]);
            });
            if (settled)
            {
                return [.. Enumerable.Range(0, Groups + 1).Select(group => statuses.Min(process => process[group].Commit))];
            }
            await Task.Delay(20, deadline.Token); // polling the loop's statuses, bounded by the deadline
        }
    }
}
