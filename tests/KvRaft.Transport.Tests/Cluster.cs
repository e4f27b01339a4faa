// Goal: a test fixture of N PeerTransports on free loopback ports that can be started, awaited until fully connected, restarted and disposed.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

/// <summary>One transport of a test cluster, with what it received and whom it connected to.</summary>
internal sealed class Node
{
    public required int Id { get; init; }
    public required PeerTransport Transport { get; init; }
    public required RecordingPeerHandler Handler { get; init; }
    public required RecordingLogger Logger { get; init; }
    public required Recorder<int> Connections { get; init; }

    /// <summary>Every connection of either lane established, by peer and lane.</summary>
    public Recorder<(int Peer, PeerLane Lane)> Lanes { get; init; } = new();

    public List<PeerMessage> MessagesFrom(int from) => Handler.Messages.Snapshot().Where(message => message.From == from).ToList();
}

internal sealed class Cluster : IAsyncDisposable
{
    public const ulong ClusterId = 0xC0FFEE;

    private readonly Dictionary<int, int> _ports;
    private readonly Func<TransportOptions, TransportOptions> _configure;

    private Cluster(int[] ids, Func<TransportOptions, TransportOptions>? configure)
    {
        var ports = Ports.Free(ids.Length);
        _ports = ids.Select((id, i) => (id, port: ports[i])).ToDictionary(pair => pair.id, pair => pair.port);
        _configure = configure ?? (options => options);
    }

    public Dictionary<int, Node> Nodes { get; } = [];

    public Node this[int id] => Nodes[id];

    public int PortOf(int id) => _ports[id];

    /// <summary>A cluster of <paramref name="ids"/> with no transport started yet (<see cref="StartNodeAsync"/> starts each).</summary>
    public static Cluster Create(int[] ids, Func<TransportOptions, TransportOptions>? configure = null) => new(ids, configure);

    /// <summary>Starts a transport for each id (all peers of each other) and waits until every pair is connected on both lanes.</summary>
    public static async Task<Cluster> StartAsync(int[] ids, Func<TransportOptions, TransportOptions>? configure = null)
    {
        var cluster = new Cluster(ids, configure);
        foreach (var id in ids)
        {
            await cluster.StartNodeAsync(id).ConfigureAwait(false);
        }
        foreach (var id in ids)
        {
            await cluster.WaitConnectedAsync(id, ids.Where(other => other != id).ToArray()).ConfigureAwait(false);
            await cluster.WaitLanesAsync(id, ids.Where(other => other != id).ToArray()).ConfigureAwait(false);
        }
        return cluster;
    }

    public TransportOptions OptionsFor(int id) => _configure(new TransportOptions
    {
        LocalNodeId = id,
        ClusterId = ClusterId,
        ListenHost = "127.0.0.1",
        ListenPort = _ports[id],
        Peers = _ports.Keys.Where(other => other != id).Select(other => new PeerEndpoint(other, "127.0.0.1", _ports[other])).ToList(),
        ReconnectDelayMinMilliseconds = 20,
        ReconnectDelayMaxMilliseconds = 200,
    });

    public async Task<Node> StartNodeAsync(int id)
    {
        var handler = new RecordingPeerHandler();
        var logger = new RecordingLogger();
        var connections = new Recorder<int>();
        var lanes = new Recorder<(int Peer, PeerLane Lane)>();
        var transport = new PeerTransport(OptionsFor(id), handler, logger);
        transport.PeerConnected += connections.Add;
        transport.LaneConnected += (peer, lane) => lanes.Add((peer, lane));
        var node = new Node { Id = id, Transport = transport, Handler = handler, Logger = logger, Connections = connections, Lanes = lanes };
        Nodes[id] = node;
        await transport.StartAsync().ConfigureAwait(false);
        return node;
    }

    public async Task StopNodeAsync(int id)
    {
        await Nodes[id].Transport.DisposeAsync().ConfigureAwait(false);
        Nodes.Remove(id);
    }

    /// <summary>Waits until <paramref name="id"/> has connected to each of <paramref name="peers"/> at least <paramref name="times"/> times.</summary>
    public Task WaitConnectedAsync(int id, int[] peers, int times = 1) =>
        Nodes[id].Connections.WaitUntilAsync(
            connected => peers.All(peer => connected.Count(node => node == peer) >= times),
            $"node {id} connected to {string.Join(",", peers)} ({times}x)");

    /// <summary>Waits until <paramref name="id"/> has connected to each of <paramref name="peers"/> on both lanes.</summary>
    public Task WaitLanesAsync(int id, int[] peers) =>
        Nodes[id].Lanes.WaitUntilAsync(
            connected => peers.All(peer => connected.Contains((peer, PeerLane.Bulk)) && connected.Contains((peer, PeerLane.Control))),
            $"node {id} connected to {string.Join(",", peers)} on both lanes");

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Nodes.Values.Select(node => node.Transport.DisposeAsync().AsTask())).ConfigureAwait(false);
        Nodes.Clear();
    }
}
