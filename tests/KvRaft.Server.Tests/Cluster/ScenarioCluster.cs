// Goal: a real KvRaft cluster in this process for the scenarios: real nodes (FASTER storage, DotNetty transports) on 127.0.0.1, every peer link through a relay outside the nodes (the network faults), nodes stopped and restarted on their data; method: KvServer.StartAsync on freshly picked free ports, picked again (bounded) when one was taken meanwhile.
using System.Net.Sockets;
using KvRaft.Client;
using KvRaft.LocalCluster;
using KvRaft.Protocol;
using KvRaft.Server.Hosting;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Tests.Cluster;

internal sealed partial class ScenarioCluster : IAsyncDisposable
{
    private readonly ServerOptions[] _options;
    private readonly KvServer?[] _servers;
    private readonly ILoggerFactory _loggers;
    private readonly KvClient _admin;

    private ScenarioCluster(int nodes, string folder, int seed, ILoggerFactory loggers, Func<ServerOptions, ServerOptions> tune)
    {
        _loggers = loggers;
        var ports = FreePorts(2 * nodes);
        Network = RelayNetwork.Start(Enumerable.Range(1, nodes).ToDictionary(id => id, id => ports[id - 1]), seed);
        Endpoints = [.. Enumerable.Range(1, nodes).Select(id => $"127.0.0.1:{ports[nodes + id - 1]}")];
        var clientPeers = string.Join(',', Enumerable.Range(1, nodes).Select(id => $"{id}={Endpoints[id - 1]}"));
        _options = [.. Enumerable.Range(1, nodes).Select(id => tune(new ServerOptions
        {
            Id = id,
            PeerListen = $"127.0.0.1:{ports[id - 1]}",
            ClientListen = Endpoints[id - 1],
            Peers = Network.PeersOf(id),
            ClusterId = ClusterId, // each node's --peers names its own relays: the id cannot be derived from them
            ClientPeers = clientPeers,
            DataDir = Path.Combine(folder, $"node-{id}"),
        }))];
        _servers = new KvServer?[nodes];
        _admin = KvClient.Connect(Endpoints, Scenario.ClientOptions);
    }

    public int NodeCount => _servers.Length;

    public IEnumerable<int> Ids => Enumerable.Range(1, NodeCount);

    /// <summary>Every node's client address, node 1 first.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>The relays every peer link runs through: cuts, partitions, loss and delay, outside the nodes.</summary>
    public RelayNetwork Network { get; }

    private const ulong ClusterId = 0x5CE4A;

    /// <summary>The cluster id every test cluster uses (known to the hostile-input tests' insider attacker).</summary>
    public static ulong ClusterIdOfTests => ClusterId;

    /// <summary>Node <paramref name="id"/>'s own peer port (not its relay): where an attacker on the network connects.</summary>
    public string PeerListen(int id) => _options[id - 1].PeerListen;

    public string Endpoint(int id) => Endpoints[id - 1];

    public bool IsRunning(int id) => _servers[id - 1] is not null;

    public KvServer Server(int id) => _servers[id - 1] ?? throw new InvalidOperationException($"node {id} is not running");

    /// <summary>Starts every node of a new cluster under <paramref name="folder"/>.</summary>
    public static async Task<ScenarioCluster> StartAsync(int nodes, string folder, int seed, ILoggerFactory loggers, Func<ServerOptions, ServerOptions> tune)
    {
        for (var attempt = 1; ; attempt++)
        {
            var cluster = new ScenarioCluster(nodes, Path.Combine(folder, $"attempt-{attempt}"), seed, loggers, tune);
            try
            {
                await cluster.StartAllAsync().ConfigureAwait(false);
                return cluster;
            }
            catch (Exception error) when (IsAddressInUse(error) && attempt < ScenarioLimits.StartAttemptsMax)
            {
                await cluster.DisposeAsync().ConfigureAwait(false); // a port was taken between picking and binding: pick again
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Starts node <paramref name="id"/> on its data (a restart after <see cref="StopAsync"/>).</summary>
    public async Task StartAsync(int id)
    {
        if (IsRunning(id))
        {
            throw new InvalidOperationException($"node {id} is running");
        }

        _servers[id - 1] = await KvServer.StartAsync(_options[id - 1], _loggers).ConfigureAwait(false);
    }

    /// <summary>Starts every stopped node, all at once.</summary>
    public Task StartAllAsync() => Task.WhenAll(Ids.Where(id => !IsRunning(id)).Select(StartAsync));

    /// <summary>Stops every running node, all at once.</summary>
    public Task StopAllAsync() => Task.WhenAll(Ids.Where(IsRunning).Select(StopAsync));

    /// <summary>Stops node <paramref name="id"/>: its connections drop, its storage closes; its data stays.</summary>
    public async Task StopAsync(int id)
    {
        var server = Server(id);
        _servers[id - 1] = null;
        var stopping = server.DisposeAsync().AsTask();
        try
        {
            await Eventually.Within(stopping, $"node {id} stops").ConfigureAwait(false);
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"node {id} did not stop; stuck at: {server.StopStep}", timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync().ConfigureAwait(false);
        foreach (var id in Ids)
        {
            if (IsRunning(id))
            {
                await StopAsync(id).ConfigureAwait(false);
            }
        }
        await Network.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The status of node <paramref name="id"/>, or null when it is stopped or did not answer in time.</summary>
    public async Task<NodeStatus?> StatusAsync(int id)
    {
        if (!IsRunning(id))
        {
            return null;
        }

        try
        {
            return await _admin.StatusAsync(Endpoint(id), ScenarioLimits.StatusTimeout).ConfigureAwait(false);
        }
        catch (KvException)
        {
            return null;
        }
    }

    // Below the ephemeral range: a released ephemeral port may be taken as the local port of any outgoing connection.
    private static int[] FreePorts(int count) => LoopbackPorts.Free(count);

    private static bool IsAddressInUse(Exception error) => error switch
    {
        SocketException socket => socket.SocketErrorCode == SocketError.AddressAlreadyInUse,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsAddressInUse),
        _ => error.InnerException is { } inner && IsAddressInUse(inner),
    };
}
