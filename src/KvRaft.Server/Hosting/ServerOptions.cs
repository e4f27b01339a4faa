using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KvRaft.Server.Node;

namespace KvRaft.Server.Hosting;

/// <summary>How one server process is configured (command line or a JSON file with the same names).</summary>
public sealed partial record ServerOptions
{
    /// <summary>This node's id (one of the ids in <see cref="Peers"/>).</summary>
    public required int Id { get; init; }

    /// <summary>host:port for peer connections.</summary>
    public required string PeerListen { get; init; }

    /// <summary>host:port for clients.</summary>
    public required string ClientListen { get; init; }

    /// <summary>
    /// Every node's peer address: "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003". Bootstraps a new cluster (its
    /// initial voters); empty with <see cref="Join"/>. The replicated member directory wins once it has an address.
    /// </summary>
    public required string Peers { get; init; }

    /// <summary>
    /// Client endpoints ("host:port", comma-separated) of a running cluster to join: at start the node asks it to add it
    /// as a learner (done already is fine), then starts from the cluster's initial voters, never campaigns, and receives
    /// the leader's snapshot or log. Takes the cluster id from the cluster when none is given. Null: no join.
    /// </summary>
    public string? Join { get; init; }

    /// <summary>
    /// Leader side (0: off): propose promoting a learner whose match index is within this many entries of the leader's
    /// last index, one change at a time.
    /// </summary>
    public long AutoPromoteDistance { get; init; }

    /// <summary>Every node's client address, for NotLeader hints (optional): "1=127.0.0.1:8001,...".</summary>
    public string? ClientPeers { get; init; }

    /// <summary>Where the log and the state machine live.</summary>
    public required string DataDir { get; init; }

    /// <summary>
    /// Cluster id checked at start against the data directory's identity and on every peer connection. A new data
    /// directory adopts it; 0 takes the one the directory records, or (a new directory) derives one from <see cref="Peers"/>.
    /// </summary>
    public ulong ClusterId { get; init; }

    /// <summary>Length of a tick.</summary>
    public int TickMilliseconds { get; init; } = 10;

    /// <summary>Election timeout in ticks.</summary>
    public int ElectionTicks { get; init; } = 30;

    /// <summary>Heartbeat interval in ticks.</summary>
    public int HeartbeatTicks { get; init; } = 3;

    /// <summary>
    /// Data groups of a sharded process (issue 16): 0, the default, is the one-group server (its group holds the keys);
    /// G ≥ 1 runs the controller group 0 and the data groups 1..G, every one over one shared log with one commit per turn
    /// (<c>GroupServer</c>), with the shards balanced over the data groups from the start (configuration 1). Every node
    /// of a cluster must be started with the same G and needs --client-peers (the configuration names every member's
    /// client address). Not yet with --join.
    /// </summary>
    public int Groups { get; init; }

    /// <summary>
    /// Sharded processes: a group idle for 10 election timeouts stops ticking (no heartbeats, no elections) until a
    /// request or a message other than a heartbeat wakes it (Dragonboat's quiesce; off by default, as there).
    /// </summary>
    public bool Quiesce { get; init; }

    /// <summary>
    /// Stop, as on SIGTERM, when standard input reaches its end (off by default). For a supervisor that starts the node
    /// with a pipe as its input and never writes to it (the local cluster): the pipe closes when the supervisor exits,
    /// however it ended (SIGKILL included), so no node outlives it.
    /// </summary>
    public bool StopWhenInputCloses { get; init; }

    /// <summary>Most data groups a sharded process may have: the groups a shard configuration may name.</summary>
    public const int DataGroupsMax = Protocol.Sharding.ShardConfiguration.GroupsMax;

    /// <summary>
    /// Serve linearizable reads from a leader lease instead of a heartbeat round (off by default):
    /// correct only while clocks drift by less than 3 ticks (30 ms at 10 ms ticks) per election timeout.
    /// </summary>
    public bool LeaseReads { get; init; }

    /// <summary>Take a snapshot after this many bytes of log at most (the policy's cap: <see cref="ServerLimits.SnapshotAfterLogBytes"/>).</summary>
    public long SnapshotAfterLogBytes { get; init; } = new ServerLimits().SnapshotAfterLogBytes;

    /// <summary>Take no snapshot before this many bytes of log (the policy's floor: <see cref="ServerLimits.SnapshotAfterLogBytesMin"/>).</summary>
    public long SnapshotAfterLogBytesMin { get; init; } = new ServerLimits().SnapshotAfterLogBytesMin;

    /// <summary>Log entries kept behind a snapshot, so that followers a little behind catch up from the log instead of a snapshot.</summary>
    public long CompactionLagEntries { get; init; } = new ServerLimits().CompactionLagEntries;

    /// <summary>About this many bytes of log kept behind a snapshot too, so that a restarted follower catches up from the log (<see cref="ServerLimits.CompactionLagBytes"/>).</summary>
    public long CompactionLagBytes { get; init; } = new ServerLimits().CompactionLagBytes;

    /// <summary>Client connections open at once at most; one beyond is closed at once.</summary>
    public int MaxClientConnections { get; init; } = 1024;

    /// <summary>Per client connection: response bytes pending above which the connection is closed.</summary>
    public int MaxClientPendingResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Per client connection: response bytes pending above which it stops reading until they drain.</summary>
    public int ClientPauseReadingBytes { get; init; } = 1024 * 1024;

    /// <summary>A client connection holding an incomplete request frame this long is closed.</summary>
    public int ClientPartialFrameTimeoutMilliseconds { get; init; } = 30_000;

    /// <summary>A client connection that sends nothing this long, with no request in flight, is closed.</summary>
    public int ClientIdleTimeoutMilliseconds { get; init; } = 300_000;

    /// <summary>Accepted peer connections open at once at most (before or after their hello).</summary>
    public int MaxPeerConnections { get; init; } = 32;

    /// <summary>Accepted peer connections that have not yet said hello, at most.</summary>
    public int MaxPeerConnectionsBeforeHello { get; init; } = 8;

    /// <summary>An accepted peer connection that says no hello within this is closed.</summary>
    public int PeerHelloTimeoutMilliseconds { get; init; } = 5_000;

    /// <summary>A live peer connection that receives no frame within this is closed (keepalives are sent every third of it).</summary>
    public int PeerIdleTimeoutMilliseconds { get; init; } = 30_000;

    /// <summary>host:port of the HTTP port serving /metrics (Prometheus text), /health and /ready; none by default (no metrics kept).</summary>
    public string? MetricsListen { get; init; }

    /// <summary>Parses "1=host:port,2=host:port".</summary>
    public static Dictionary<int, (string Host, int Port)> ParseAddresses(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var addresses = new Dictionary<int, (string, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2 || !int.TryParse(pair[0], out var id) || id <= 0)
            {
                throw new FormatException($"'{part}' is not id=host:port");
            }
            if (!addresses.TryAdd(id, ParseEndpoint(pair[1])))
            {
                throw new FormatException($"node {id} is listed twice");
            }
        }
        return addresses;
    }

    /// <summary>Parses "host:port".</summary>
    public static (string Host, int Port) ParseEndpoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            throw new FormatException($"'{text}' is not host:port");
        }
        return (text[..colon], port);
    }

    /// <summary>The cluster id in force: the configured one, or a hash of the sorted peer list.</summary>
    public ulong EffectiveClusterId()
    {
        if (ClusterId != 0)
        {
            return ClusterId;
        }

        var canonical = string.Join(',', ParseAddresses(Peers).OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value.Host}:{p.Value.Port}"));
        var hash = 14695981039346656037UL;
        foreach (var c in canonical)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash == 0 ? 1 : hash;
    }

    /// <summary>
    /// What every process of the cluster must share, announced in its peer hellos: --groups, the shard count, and, for a
    /// sharded process (whose groups' members are fixed), the node ids of --peers. None for a one-group node: its
    /// members change (member add and remove), and a restart may name the members of now in --peers while another node
    /// still runs with the bootstrap list; nor for a joining node, whose peers come from the cluster.
    /// </summary>
    public Protocol.ClusterShape Shape() =>
        new(Groups, Groups > 0 ? Protocol.Sharding.ShardMap.DefaultShardCount : 0, Join is null && Groups > 0 ? ParseAddresses(Peers).Keys : []);

    /// <summary>Checks the whole configuration; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public void Validate()
    {
        if (Join is null)
        {
            ValidatePeers();
        }
        else
        {
            ValidateJoin();
        }

        if (AutoPromoteDistance < 0)
        {
            throw new FormatException("--auto-promote must be a number of entries (0: off)");
        }
        ParseEndpoint(PeerListen);
        ParseEndpoint(ClientListen);
        if (ClientPeers is not null)
        {
            ParseAddresses(ClientPeers);
        }

        if (MetricsListen is not null && ParseEndpoint(MetricsListen).Port == 0)
        {
            throw new FormatException("--metrics-listen needs a port (not 0)");
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            throw new FormatException("--data-dir is required");
        }

        if (TickMilliseconds <= 0 || HeartbeatTicks <= 0 || ElectionTicks <= HeartbeatTicks)
        {
            throw new FormatException("ticks must satisfy 0 < heartbeat < election");
        }

        if (MaxClientConnections <= 0 || MaxPeerConnections <= 0 || MaxPeerConnectionsBeforeHello <= 0 || MaxPeerConnectionsBeforeHello > MaxPeerConnections)
        {
            throw new FormatException("connection limits must be positive, and --max-peer-connections-before-hello at most --max-peer-connections");
        }
        if (ClientPauseReadingBytes < 2 || ClientPauseReadingBytes > MaxClientPendingResponseBytes)
        {
            throw new FormatException("--client-pause-reading-bytes must be at least 2 and at most --max-client-pending-response-bytes");
        }
        if (ClientPartialFrameTimeoutMilliseconds <= 0 || ClientIdleTimeoutMilliseconds <= 0 || PeerHelloTimeoutMilliseconds <= 0 || PeerIdleTimeoutMilliseconds < 3)
        {
            throw new FormatException("timeouts must be positive (--peer-idle-timeout-ms at least 3)");
        }
        ValidateTls();
        ValidateGroups();
    }

    private void ValidateGroups()
    {
        if (Groups < 0 || Groups > DataGroupsMax)
        {
            throw new FormatException($"--groups must be 1 to {DataGroupsMax} (data groups; without it, the one-group server)");
        }
        if (Groups > 0 && Join is not null)
        {
            throw new FormatException("--groups does not support --join yet");
        }
        if (Groups > 0 && (ClientPeers is null || ParseAddresses(ClientPeers).Keys.Order().SequenceEqual(ParseAddresses(Peers).Keys.Order()) is false))
        {
            throw new FormatException("--groups needs --client-peers naming every node of --peers: the shard configuration lists every member's client address");
        }
    }

    private void ValidatePeers()
    {
        var peers = ParseAddresses(Peers);
        if (!peers.ContainsKey(Id))
        {
            throw new FormatException($"--id {Id} is not among --peers");
        }

        if (peers.Count is not (1 or 3 or 5 or 7))
        {
            throw new FormatException($"a cluster has 1, 3, 5 or 7 nodes, not {peers.Count}");
        }
    }

    /// <summary>A joining node: no --peers, its own addresses given in full (the cluster stores them), a node id.</summary>
    private void ValidateJoin()
    {
        if (!string.IsNullOrWhiteSpace(Peers))
        {
            throw new FormatException("--join and --peers exclude each other: a joining node learns its peers from the cluster");
        }

        if (Id <= 0)
        {
            throw new FormatException("--id must be positive");
        }

        if (JoinEndpoints().Count == 0)
        {
            throw new FormatException("--join needs at least one host:port of the cluster");
        }

        foreach (var address in new[] { PeerListen, ClientListen })
        {
            (var host, var port) = ParseEndpoint(address);
            if (port == 0 || host is "0.0.0.0" or "::" or "[::]" or "*" or "+" or "" || !MemberAddress.IsValidAddress(address))
            {
                throw new FormatException($"with --join, --peer-listen and --client-listen are stored in the cluster: give a host others reach and a port, not '{address}'");
            }
        }
    }

    /// <summary>The endpoints of <see cref="Join"/>, each checked as "host:port".</summary>
    public IReadOnlyList<string> JoinEndpoints() =>
        (Join ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(endpoint => ParseEndpoint(endpoint) is (_, > 0) ? endpoint : throw new FormatException($"'{endpoint}' has no port")).ToList();

    /// <summary>
    /// Reads options from a JSON file with the same (camelCase) names. The file overrides only what it names: its
    /// properties are laid over the declared defaults before deserializing (the source-generated deserializer sets
    /// every init-only property it is not given to zero). A required option the file leaves out is refused.
    /// </summary>
    public static ServerOptions FromJsonFile(string path)
    {
        JsonNode? parsed;
        using (var stream = File.OpenRead(path))
        {
            parsed = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        if (parsed is not JsonObject file)
        {
            throw new FormatException($"{path}: the configuration is not a JSON object");
        }

        foreach (var name in RequiredNames)
        {
            if (!file.ContainsKey(name) && !(name == "peers" && file.ContainsKey("join"))) // a joining node has no --peers
            {
                throw new FormatException($"{path}: '{name}' is required");
            }
        }
        var merged = ToJsonNode(new ServerOptions { Id = 0, PeerListen = "", ClientListen = "", Peers = "", DataDir = "" });
        foreach (var (name, value) in file)
        {
            merged[name] = value?.DeepClone();
        }

        return merged.Deserialize(ServerOptionsJson.Default.ServerOptions) ?? throw new FormatException($"{path}: empty configuration");
    }

    private static readonly string[] RequiredNames = ["id", "peerListen", "clientListen", "peers", "dataDir"];

    /// <summary>These options as the JSON object a configuration file holds.</summary>
    public static JsonObject ToJsonNode(ServerOptions options) =>
        JsonSerializer.SerializeToNode(options, ServerOptionsJson.Default.ServerOptions)!.AsObject();

    internal ServerLimits Limits => new()
    {
        SnapshotAfterLogBytes = SnapshotAfterLogBytes,
        SnapshotAfterLogBytesMin = SnapshotAfterLogBytesMin,
        CompactionLagEntries = CompactionLagEntries,
        CompactionLagBytes = CompactionLagBytes,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(ServerOptions))]
internal sealed partial class ServerOptionsJson : JsonSerializerContext;
