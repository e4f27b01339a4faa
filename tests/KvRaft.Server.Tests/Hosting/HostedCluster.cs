// Goal: in-process KvServer nodes for hosting tests, their peer links through relays outside the nodes; method: free 127.0.0.1 ports below the ephemeral range (LoopbackPorts), a RelayNetwork, data in a temporary folder deleted at the end, every node and relay disposed.
using KvRaft.Client;
using KvRaft.LocalCluster;
using KvRaft.Protocol;
using KvRaft.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Tests.Hosting;

internal sealed class HostedCluster : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-hosting-" + Guid.NewGuid().ToString("N"));
    private readonly List<KvServer> _servers = [];

    private readonly ILoggerFactory _loggers;

    private const int SpareCertificates = 2; // nodes that may join a TLS cluster

    private readonly CertificateFolder? _certificates;

    private HostedCluster(int nodes, bool metrics, int electionTicks, ILoggerFactory loggers, long autoPromote, bool tls)
    {
        _loggers = loggers;
        _certificates = tls ? ClusterCertificates.Create(Path.Combine(_folder, "certs"), nodes + SpareCertificates) : null;
        var ports = Transport.LoopbackPorts.Free(3 * nodes);
        MetricsEndpoints = metrics ? [.. ports[(2 * nodes)..].Select(port => "127.0.0.1:" + port)] : [];
        Network = RelayNetwork.Start(Enumerable.Range(1, nodes).ToDictionary(id => id, id => ports[id - 1]), seed: nodes);
        Endpoints = [.. ports[nodes..(2 * nodes)].Select(port => "127.0.0.1:" + port)];
        Options = [.. Enumerable.Range(1, nodes).Select(id => new ServerOptions
        {
            Id = id,
            PeerListen = "127.0.0.1:" + ports[id - 1],
            ClientListen = Endpoints[id - 1],
            Peers = Network.PeersOf(id),
            ClusterId = 0xC1A5, // every node's --peers names its own relays: the id is given, not derived
            ClientPeers = string.Join(',', Endpoints.Select((p, i) => $"{i + 1}={p}")),
            DataDir = Path.Combine(_folder, "node" + id),
            MetricsListen = metrics ? MetricsEndpoints[id - 1] : null,
            ElectionTicks = electionTicks,
            AutoPromoteDistance = autoPromote,
        }).Select(options => WithClientTls(options, options.Id))];
    }

    /// <summary>With TLS: node <paramref name="id"/>'s certificate on the client port, client certificates required.</summary>
    private ServerOptions WithClientTls(ServerOptions options, int id) => _certificates is not { } certificates ? options : options with
    {
        CertFile = certificates.NodeCertificateFile(id),
        KeyFile = certificates.NodeKeyFile(id),
        ClientCertAuth = true,
        TrustedCaFile = certificates.CaFile,
    };

    private KvClientOptions ClientOptions() => new()
    {
        OperationTimeout = TimeSpan.FromSeconds(15),
        Tls = _certificates is { } certificates ? KvClientTls.FromPemFiles(certificates.CaFile, certificates.ClientCertificateFile, certificates.ClientKeyFile) : null,
    };

    public IReadOnlyList<string> Endpoints { get; private set; }

    public IReadOnlyList<ServerOptions> Options { get; private set; }

    /// <summary>Each node's --metrics-listen (empty when started without metrics).</summary>
    public IReadOnlyList<string> MetricsEndpoints { get; }

    /// <summary>The relays every peer link runs through (the network faults).</summary>
    public RelayNetwork Network { get; }

    public KvClient Client { get; private set; } = null!;

    /// <summary>
    /// Starts <paramref name="nodes"/> nodes (with <paramref name="metrics"/>, each serving /metrics on its own port; with
    /// <paramref name="tls"/>, mutual TLS on the client ports, certificates made in the cluster's folder).
    /// </summary>
    public static async Task<HostedCluster> StartAsync(int nodes, ILoggerFactory loggers, bool metrics = false, int electionTicks = 30, long autoPromote = 0, bool tls = false)
    {
        var cluster = new HostedCluster(nodes, metrics, electionTicks, loggers, autoPromote, tls);
        try
        {
            foreach (var options in cluster.Options)
            {
                cluster._servers.Add(await KvServer.StartAsync(options, loggers));
            }
            cluster.Client = KvClient.Connect(cluster.Endpoints, cluster.ClientOptions());
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until a leader that <paramref name="accept"/> takes is followed by a majority in its term
    /// (so not a stale leader that has yet to learn of a newer term); returns its id.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(Func<NodeStatus, bool> accept)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (true)
        {
            var statuses = new List<NodeStatus>();
            foreach (var endpoint in Endpoints)
            {
                try
                {
                    statuses.Add(await Client.StatusAsync(endpoint, TimeSpan.FromSeconds(1), deadline.Token));
                }
                catch (KvException)
                {
                    // Not answering now: ask the next one.
                }
            }
            foreach (var leader in statuses.Where(status => status.Role == NodeRole.Leader && accept(status)))
            {
                var followers = statuses.Count(status => status.LeaderKnown && status.LeaderId == leader.NodeId && status.Term == leader.Term);
                if (followers > Endpoints.Count / 2)
                {
                    return leader.NodeId;
                }
            }
            await Task.Delay(20, deadline.Token); // polling node state: no event to wait on
        }
    }

    /// <summary>Waits until node <paramref name="id"/> reports <paramref name="condition"/>.</summary>
    public async Task<NodeStatus> WaitForStatusAsync(int id, Func<NodeStatus, bool> condition)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (true)
        {
            var status = await Client.StatusAsync(Endpoints[id - 1], TimeSpan.FromSeconds(1), deadline.Token);
            if (condition(status))
            {
                return status;
            }

            await Task.Delay(20, deadline.Token); // polling node state: no event to wait on
        }
    }

    /// <summary>
    /// Starts node <paramref name="id"/> (the next id: 4 after a 3-node cluster) with --join on the first nodes' client
    /// endpoints, on fresh ports (its peer links direct, not through relays); returns its client endpoint.
    /// </summary>
    public async Task<string> JoinAsync(int id)
    {
        Assert.Equal(_servers.Count + 1, id);
        var ports = Transport.LoopbackPorts.Free(2);
        var options = WithClientTls(Options[0], id) with
        {
            Id = id,
            PeerListen = "127.0.0.1:" + ports[0],
            ClientListen = "127.0.0.1:" + ports[1],
            Peers = "",
            ClientPeers = null,
            ClusterId = 0, // taken from the cluster
            Join = string.Join(',', Endpoints),
            DataDir = Path.Combine(_folder, "node" + id),
            MetricsListen = null,
        };
        _servers.Add(await KvServer.StartAsync(options, _loggers));
        Options = [.. Options, options];
        Endpoints = [.. Endpoints, options.ClientListen];
        return options.ClientListen;
    }

    /// <summary>Whether node <paramref name="id"/> has a live peer connection to <paramref name="peer"/>.</summary>
    public bool IsConnected(int id, int peer) => _servers[id - 1].IsPeerConnected(peer);

    /// <summary>Stops node <paramref name="id"/> as SIGTERM does (a leader hands over first); the others keep running.</summary>
    public async Task<KvServer> StopAsync(int id)
    {
        var server = _servers[id - 1];
        await server.DisposeAsync();
        return server;
    }

    /// <summary>Stops node <paramref name="id"/> gracefully (its ports close).</summary>
    public ValueTask StopNodeAsync(int id) => _servers[id - 1].DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _servers.Clear();
        await Network.DisposeAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
