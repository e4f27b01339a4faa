// Goal: a real three-node KvRaft cluster in this process for integration tests. Method: KvServer.StartAsync on free 127.0.0.1 ports (each found by binding port 0, then released) with data in a temporary folder.
using KvRaft.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Client.Tests;

internal sealed class RealCluster : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-client-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<int, KvServer> _servers = new();
    private readonly Dictionary<int, string> _clientEndpoints;
    private readonly ServerOptions[] _options;

    private RealCluster(int nodes)
    {
        var ids = Enumerable.Range(1, nodes).ToList();
        var peerEndpoints = ids.ToDictionary(id => id, _ => Bounded.DeadEndpoint());
        _clientEndpoints = ids.ToDictionary(id => id, _ => Bounded.DeadEndpoint());
        var peers = string.Join(',', ids.Select(id => $"{id}={peerEndpoints[id]}"));
        var clientPeers = string.Join(',', ids.Select(id => $"{id}={_clientEndpoints[id]}"));
        _options = ids.Select(id => new ServerOptions
        {
            Id = id,
            PeerListen = peerEndpoints[id],
            ClientListen = _clientEndpoints[id],
            Peers = peers,
            ClientPeers = clientPeers,
            DataDir = Path.Combine(_folder, "node" + id),
        }).ToArray();
    }

    public IReadOnlyList<string> Endpoints => _clientEndpoints.Values.ToList();

    public string Endpoint(int id) => _clientEndpoints[id];

    public static async Task<RealCluster> StartAsync(int nodes = 3)
    {
        var cluster = new RealCluster(nodes);
        foreach (var options in cluster._options)
        {
            cluster._servers[options.Id] = await KvServer.StartAsync(options, NullLoggerFactory.Instance);
        }
        return cluster;
    }

    public async Task StopAsync(int id)
    {
        if (_servers.Remove(id, out var server))
        {
            await server.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
        _servers.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
