using KvRaft.Client;
using KvRaft.Server.Hosting;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.LocalCluster;

/// <summary>
/// A KvRaft cluster on 127.0.0.1 for trying the store, tests and load runs: every node keeps its
/// data under one directory (node-1, node-2, …), so a cluster started again on the same directory
/// finds its data (and its ports, in cluster.ports). Disposing it stops every node.
/// </summary>
public sealed partial class LocalCluster : IAsyncDisposable
{
    private readonly LocalClusterOptions _options;
    private readonly string _directory;
    private readonly (int Peer, int Client)[] _ports;
    private readonly NodeProcess?[] _processes;
    private readonly IRunningServer?[] _servers;
    private readonly ILoggerFactory _loggers;
    private readonly HashSet<int> _paused = [];
    private readonly ulong _clusterId;
    private readonly KvClientOptions? _clientOptions;

    private LocalCluster(int nodeCount, string directory, LocalClusterOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _directory = Path.GetFullPath(directory);
        _loggers = loggers;
        if (options.Tls && options.LinkRelays)
        {
            throw new ArgumentException("TLS and link relays do not go together: the relays read peer frames");
        }

        if (options.SpareNodes is < 0 or > MaxSpareNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SpareNodes, $"SpareNodes is 0 to {MaxSpareNodes}");
        }

        if (options.Groups > 0 && (options.SpareNodes > 0 || !options.ConfigureClientPeers))
        {
            throw new ArgumentException("a sharded cluster (Groups) needs ConfigureClientPeers and takes no spare nodes (--groups does not join yet)");
        }

        NodeCount = nodeCount;
        Directory.CreateDirectory(_directory);
        _ports = LoadOrPickPorts(nodeCount + options.SpareNodes);
        _clusterId = LoadOrCreateClusterId(nodeCount);
        _nextSpareId = nodeCount + 1;

        Certificates = options.Tls ? ClusterCertificates.Ensure(Path.Combine(_directory, "certs"), nodeCount + options.SpareNodes) : null; // spares join over TLS
        _clientOptions = Certificates is null ? options.ClientOptions : (options.ClientOptions ?? new KvClientOptions()) with { Tls = ClientTls(Certificates) };
        Network = options.LinkRelays
            ? RelayNetwork.Start(Enumerable.Range(1, nodeCount).ToDictionary(id => id, id => _ports[id - 1].Peer), seed: 1)
            : null;
        _processes = new NodeProcess?[_ports.Length];
        _servers = new IRunningServer?[_ports.Length];
        ClientEndpoints = _ports.Take(nodeCount).Select(p => $"127.0.0.1:{p.Client}").ToArray();
        MetricsEndpoints = options.Metrics ? [.. Transport.LoopbackPorts.Free(nodeCount).Select(port => $"127.0.0.1:{port}")] : [];
        Client = KvClient.Connect(ClientEndpoints, _clientOptions);
    }

    /// <summary>Number of nodes the cluster started with (ids 1 to NodeCount); nodes added later have higher ids (<see cref="NodeIds"/>).</summary>
    public int NodeCount { get; }

    /// <summary>The client address of every node the cluster started with, in node order (node 1 first); any node's: <see cref="ClientEndpoint"/>.</summary>
    public IReadOnlyList<string> ClientEndpoints { get; }

    /// <summary>Every node's metrics address (host:port of /metrics, /health, /ready), in node order; empty without <see cref="LocalClusterOptions.Metrics"/>.</summary>
    public IReadOnlyList<string> MetricsEndpoints { get; }

    /// <summary>A client connected to the whole cluster.</summary>
    public KvClient Client { get; }

    /// <summary>The certificates of a TLS cluster (<see cref="LocalClusterOptions.Tls"/>), or null.</summary>
    public CertificateFolder? Certificates { get; }

    /// <summary>The data directory of the cluster.</summary>
    public string DataDirectory => _directory;

    /// <summary>Starts <paramref name="nodeCount"/> nodes with their data under <paramref name="dataDirectory"/> and waits for a leader.</summary>
    public static async Task<LocalCluster> StartAsync(int nodeCount, string dataDirectory, LocalClusterOptions? options = null, ILoggerFactory? loggers = null)
    {
        if (nodeCount is not (1 or 3 or 5 or 7))
        {
            throw new ArgumentOutOfRangeException(nameof(nodeCount), "a cluster has 1, 3, 5 or 7 nodes");
        }

        var cluster = new LocalCluster(nodeCount, dataDirectory, options ?? new LocalClusterOptions(), loggers ?? NullLoggerFactory.Instance);
        try
        {
            for (var id = 1; id <= nodeCount; id++)
            {
                await cluster.StartNodeAsync(id).ConfigureAwait(false);
            }

            await cluster.WaitForLeaderAsync(cluster._options.StartTimeout).ConfigureAwait(false);
            await cluster.WaitForDataGroupsAsync(cluster._options.StartTimeout).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new client of this cluster (each has its own connections and sessions).</summary>
    public KvClient CreateClient(KvClientOptions? options = null) => KvClient.Connect([.. NodeIds.Select(ClientEndpoint)],
        options is null ? _clientOptions : Certificates is not null && options.Tls is null ? options with { Tls = ClientTls(Certificates) } : options);

    /// <summary>TLS options of a client of this cluster: its CA, and the client certificate.</summary>
    private static KvClientTls ClientTls(CertificateFolder certificates) =>
        KvClientTls.FromPemFiles(certificates.CaFile, certificates.ClientCertificateFile, certificates.ClientKeyFile);

    /// <summary>True while node <paramref name="id"/> runs.</summary>
    public bool IsRunning(int id) => _processes[CheckSlot(id) - 1] is { HasExited: false } || _servers[id - 1] is not null;

    /// <summary>The process id of node <paramref name="id"/> (process mode), for tools that signal it.</summary>
    public int? ProcessId(int id) => _processes[CheckSlot(id) - 1]?.ProcessId;

    /// <summary>
    /// The id of the node that leads now, or null: every running node that is not paused is asked at
    /// once (1 s each), and the answer naming a leader in the highest term wins (a node may still name
    /// a leader that a newer term has replaced).
    /// </summary>
    public async Task<int?> FindLeaderAsync(CancellationToken cancellation = default)
    {
        var statuses = await Task.WhenAll(NodeIds
            .Where(id => IsRunning(id) && !IsPaused(id))
            .Select(id => TryStatusAsync(id, cancellation))).ConfigureAwait(false);
        return statuses.Where(status => status is { LeaderKnown: true })
            .OrderByDescending(status => status!.Value.Term)
            .Select(status => (int?)status!.Value.LeaderId)
            .FirstOrDefault();
    }

    private async Task<Protocol.NodeStatus?> TryStatusAsync(int id, CancellationToken cancellation)
    {
        try
        {
            return await Client.StatusAsync(ClientEndpoint(id), TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
        }
        catch (KvException)
        {
            return null; // that node did not answer
        }
    }

    /// <summary>Waits until some node knows a leader.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await FindLeaderAsync(deadline.Token).ConfigureAwait(false) is { } leader)
            {
                return leader;
            }

            await Task.Delay(50, deadline.Token).ConfigureAwait(false); // polling an external process: no event to wait on
        }
    }

    /// <summary>Kills node <paramref name="id"/> at once (SIGKILL in process mode).</summary>
    public async Task KillAsync(int id)
    {
        if (_processes[CheckSlot(id) - 1] is { } process)
        {
            process.Kill();
            process.Dispose();
            _processes[id - 1] = null;
            lock (_paused)
            {
                _paused.Remove(id);
            }
        }
        if (_servers[id - 1] is { } server)
        {
            _servers[id - 1] = null;
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops node <paramref name="id"/> as an operator would: SIGTERM (a leader hands over first), then SIGKILL if it
    /// still runs after <paramref name="grace"/>; in process mode the server is disposed, which hands over too.
    /// </summary>
    public async Task StopAsync(int id, TimeSpan grace)
    {
        if (_processes[CheckSlot(id) - 1] is { } process)
        {
            await process.StopAsync(grace).ConfigureAwait(false);
            process.Dispose();
            _processes[id - 1] = null;
            lock (_paused)
            {
                _paused.Remove(id);
            }
        }
        await KillAsync(id).ConfigureAwait(false); // in process mode: disposes the server (with its hand-over)
    }

    /// <summary>SIGSTOP node <paramref name="id"/> (process mode only).</summary>
    public void Pause(int id)
    {
        (_processes[CheckSlot(id) - 1] ?? throw new InvalidOperationException($"node {id} is not a running process")).Pause();
        lock (_paused)
        {
            _paused.Add(id);
        }
    }

    /// <summary>SIGCONT node <paramref name="id"/> (process mode only).</summary>
    public void Resume(int id)
    {
        (_processes[CheckSlot(id) - 1] ?? throw new InvalidOperationException($"node {id} is not a running process")).Resume();
        lock (_paused)
        {
            _paused.Remove(id);
        }
    }

    /// <summary>Starts node <paramref name="id"/> again on its data (its links are as the relays have them).</summary>
    public async Task RestartAsync(int id)
    {
        if (IsRunning(id))
        {
            return;
        }

        if (!IsStarted(id))
        {
            throw new InvalidOperationException($"node {id} was never started, or was removed: a spare node starts with AddNodeAsync");
        }

        await StartNodeAsync(id).ConfigureAwait(false);
    }

    private async Task StartNodeAsync(int id)
    {
        var options = NodeOptions(id);
        if (_options.Mode == LocalClusterMode.InProcess)
        {
            _servers[id - 1] = options.Groups > 0
                ? await GroupServer.StartAsync(options, _loggers).ConfigureAwait(false)
                : await KvServer.StartAsync(options, _loggers).ConfigureAwait(false);
            return;
        }
        var serverPath = _options.ServerPath ?? Path.Combine(AppContext.BaseDirectory, "kvraft-server.dll");
        if (!File.Exists(serverPath))
        {
            throw new FileNotFoundException("kvraft-server.dll not found", serverPath);
        }

        List<string> arguments =
        [
            "--id", id.ToString(), "--peer-listen", options.PeerListen, "--client-listen", options.ClientListen,
            "--data-dir", options.DataDir, "--cluster-id", options.ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--stop-when-input-closes", // the node's input is a pipe from this process (NodeProcess): no node outlives it
        ];
        arguments.AddRange(options.Join is { } join ? ["--join", join] : ["--peers", options.Peers]);
        if (options.ClientPeers is { } clientPeers)
        {
            arguments.AddRange(["--client-peers", clientPeers]);
        }

        if (options.MetricsListen is { } metrics)
        {
            arguments.AddRange(["--metrics-listen", metrics]);
        }

        if (options.Groups > 0)
        {
            arguments.AddRange(["--groups", options.Groups.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (Certificates is not null)
        {
            arguments.AddRange(["--peer-cert-file", options.PeerCertFile!, "--peer-key-file", options.PeerKeyFile!, "--peer-trusted-ca-file", options.PeerTrustedCaFile!,
                "--cert-file", options.CertFile!, "--key-file", options.KeyFile!, "--client-cert-auth", "--trusted-ca-file", options.TrustedCaFile!]);
        }
        _processes[id - 1] = new NodeProcess(serverPath, arguments, Path.Combine(_directory, $"node-{id}.log"));
        lock (_paused)
        {
            _paused.Remove(id);
        }
    }

    private ServerOptions NodeOptions(int id) => Certificates is not { } certificates ? PlainNodeOptions(id) : PlainNodeOptions(id) with
    {
        PeerCertFile = certificates.NodeCertificateFile(id),
        PeerKeyFile = certificates.NodeKeyFile(id),
        PeerTrustedCaFile = certificates.CaFile,
        CertFile = certificates.NodeCertificateFile(id),
        KeyFile = certificates.NodeKeyFile(id),
        ClientCertAuth = true,
        TrustedCaFile = certificates.CaFile,
    };

    /// <summary>
    /// A node of the initial configuration gets --peers naming the initial nodes; a spare node joins (--join, the client
    /// addresses of the members running now) and its addresses reach the others through the replicated configuration.
    /// </summary>
    private ServerOptions PlainNodeOptions(int id) => new()
    {
        Id = id,
        PeerListen = $"127.0.0.1:{_ports[id - 1].Peer}",
        ClientListen = ClientEndpoint(id),
        Peers = id > NodeCount ? "" : Network?.PeersOf(id) ?? DirectPeers(_ports.Take(NodeCount)),
        Join = id > NodeCount ? JoinEndpoints(id) : null,
        ClientPeers = _options.ConfigureClientPeers && id <= NodeCount ? string.Join(',', _ports.Take(NodeCount).Select((p, i) => $"{i + 1}=127.0.0.1:{p.Client}")) : null,
        DataDir = NodeDirectory(id),
        ClusterId = _clusterId,
        MetricsListen = _options.Metrics && id <= NodeCount ? MetricsEndpoints[id - 1] : null,
        Groups = _options.Groups,
    };

    private static string DirectPeers(IEnumerable<(int Peer, int Client)> ports) => string.Join(',', ports.Select((p, i) => $"{i + 1}=127.0.0.1:{p.Peer}"));

    /// <summary>
    /// The cluster id every node is given: random when the cluster is created, kept in cluster.id (and in each
    /// node's identity file), so that a cluster started again on its directory is the same cluster, whatever
    /// ports it then gets and whichever relays its nodes' --peers name.
    /// </summary>
    private ulong LoadOrCreateClusterId(int nodeCount)
    {
        var file = Path.Combine(_directory, "cluster.id");
        if (File.Exists(file))
        {
            return ulong.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var id = Enumerable.Range(1, nodeCount)
            .Select(node => Storage.DataDirectory.ReadIdentity(Path.Combine(_directory, $"node-{node}"))?.ClusterId)
            .FirstOrDefault(stored => stored is not null) ?? NewClusterId();
        File.WriteAllText(file, Storage.DataDirectory.Format(id) + "\n");
        return id;
    }

    /// <summary>A random, non-zero cluster id.</summary>
    public static ulong NewClusterId()
    {
        while (true)
        {
            var id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            if (id != 0)
            {
                return id;
            }
        }
    }

    private (int Peer, int Client)[] LoadOrPickPorts(int nodeCount)
    {
        var file = Path.Combine(_directory, "cluster.ports");
        if (File.Exists(file))
        {
            var saved = File.ReadAllLines(file).Select(line => line.Split(' ')).Select(p => (int.Parse(p[0]), int.Parse(p[1]))).ToArray();
            if (saved.Length == nodeCount && saved.All(p => Transport.LoopbackPorts.IsFree(p.Item1) && Transport.LoopbackPorts.IsFree(p.Item2)))
            {
                return saved;
            }
        }
        var free = Transport.LoopbackPorts.Free(2 * nodeCount);
        var ports = Enumerable.Range(0, nodeCount).Select(i => (free[2 * i], free[(2 * i) + 1])).ToArray();
        File.WriteAllLines(file, ports.Select(p => $"{p.Item1} {p.Item2}"));
        return ports;
    }

    /// <summary>Stops every node (SIGTERM, then SIGKILL after a grace period), then the relays.</summary>
    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        for (var i = 0; i < _processes.Length; i++)
        {
            if (_processes[i] is { } process)
            {
                await process.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                process.Dispose();
                _processes[i] = null;
            }
            if (_servers[i] is { } server)
            {
                _servers[i] = null;
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        if (Network is not null)
        {
            await Network.DisposeAsync().ConfigureAwait(false);
        }
    }
}
