namespace KvRaft.LocalCluster;

/// <summary>How the nodes of a local cluster run.</summary>
public enum LocalClusterMode
{
    /// <summary>Each node is a child process of kvraft-server (it can be killed with SIGKILL and paused with SIGSTOP).</summary>
    Processes,
    /// <summary>Each node runs inside this process (faster to start; kill means an abrupt stop of that node).</summary>
    InProcess,
}

/// <summary>Options of <see cref="LocalCluster"/>.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Processes (default) or in-process nodes.</summary>
    public LocalClusterMode Mode { get; init; } = LocalClusterMode.Processes;

    /// <summary>Path of kvraft-server.dll; by default the one next to this assembly.</summary>
    public string? ServerPath { get; init; }

    /// <summary>How long starting (and electing a leader) may take.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Run every peer link through a <see cref="LinkRelay"/> in this process (<see cref="LocalCluster.Network"/>), so that
    /// <see cref="LocalCluster.Isolate"/>, <see cref="LocalCluster.Partition"/>, <see cref="LocalCluster.Cut"/> and
    /// <see cref="LocalCluster.Heal"/> work. Off by default: peer traffic then goes straight from node to node.
    /// </summary>
    public bool LinkRelays { get; init; }

    /// <summary>
    /// Give every node every node's client address (--client-peers), on by default. Off, the nodes learn them from
    /// each other's peer hellos, as nodes started by hand without the flag do.
    /// </summary>
    public bool ConfigureClientPeers { get; init; } = true;

    /// <summary>
    /// Mutual TLS on every port: certificates are made (or reused while valid) in the folder certs/ of the cluster's
    /// directory (<see cref="ClusterCertificates"/>), each node gets its peer and client TLS flags with
    /// --client-cert-auth, and the clients the cluster hands out present the client certificate. Not with <see cref="LinkRelays"/>.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>
    /// Every node serves /metrics, /health and /ready (--metrics-listen) on a free loopback port of its own,
    /// listed in <see cref="LocalCluster.MetricsEndpoints"/>. Off by default: a node then keeps no metrics.
    /// </summary>
    public bool Metrics { get; init; }

    /// <summary>
    /// Node slots reserved beyond the initial nodes (0 by default, at most <see cref="LocalCluster.MaxSpareNodes"/>): ports
    /// picked and recorded with the others, each started once by <see cref="LocalCluster.AddNodeAsync"/> as a node that
    /// joins under a new id (with <see cref="Tls"/>, over TLS with a certificate of its own).
    /// </summary>
    public int SpareNodes { get; init; }

    /// <summary>
    /// Data groups of a sharded cluster (every node started with --groups G: the controller group 0 and the data groups
    /// 1..G); 0, the default, is the one-group store. Needs <see cref="ConfigureClientPeers"/> and no spare nodes.
    /// </summary>
    public int Groups { get; init; }

    /// <summary>Options of the clients the cluster hands out.</summary>
    public Client.KvClientOptions? ClientOptions { get; init; }
}
