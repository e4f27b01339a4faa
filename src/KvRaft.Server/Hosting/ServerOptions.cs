using System.Text.Json;
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

    /// <summary>Every node's peer address: "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003".</summary>
    public required string Peers { get; init; }

    /// <summary>Every node's client address, for NotLeader hints (optional): "1=127.0.0.1:8001,...".</summary>
    public string? ClientPeers { get; init; }

    /// <summary>Where the log and the state machine live.</summary>
    public required string DataDir { get; init; }

    /// <summary>Cluster id checked on every peer connection; 0 derives one from <see cref="Peers"/>.</summary>
    public ulong ClusterId { get; init; }

    /// <summary>Length of a tick.</summary>
    public int TickMilliseconds { get; init; } = 10;

    /// <summary>Election timeout in ticks.</summary>
    public int ElectionTicks { get; init; } = 30;

    /// <summary>Heartbeat interval in ticks.</summary>
    public int HeartbeatTicks { get; init; } = 3;

    /// <summary>
    /// Serve linearizable reads from a leader lease instead of a heartbeat round (off by default):
    /// correct only while clocks drift by less than 3 ticks (30 ms at 10 ms ticks) per election timeout.
    /// </summary>
    public bool LeaseReads { get; init; }

    /// <summary>Take a snapshot after this many bytes of log.</summary>
    public long SnapshotAfterLogBytes { get; init; } = 64L << 20;

    /// <summary>Log entries kept behind a snapshot, so that followers a little behind catch up from the log instead of a snapshot.</summary>
    public long CompactionLagEntries { get; init; } = new ServerLimits().CompactionLagEntries;

    /// <summary>Parses "1=host:port,2=host:port".</summary>
    public static Dictionary<int, (string Host, int Port)> ParseAddresses(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var addresses = new Dictionary<int, (string, int)>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] pair = part.Split('=', 2);
            if (pair.Length != 2 || !int.TryParse(pair[0], out int id) || id <= 0)
            {
                throw new FormatException($"'{part}' is not id=host:port");
            }
            if (!addresses.TryAdd(id, ParseEndpoint(pair[1]))) throw new FormatException($"node {id} is listed twice");
        }
        return addresses;
    }

    /// <summary>Parses "host:port".</summary>
    public static (string Host, int Port) ParseEndpoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
        {
            throw new FormatException($"'{text}' is not host:port");
        }
        return (text[..colon], port);
    }

    /// <summary>The cluster id in force: the configured one, or a hash of the sorted peer list.</summary>
    public ulong EffectiveClusterId()
    {
        if (ClusterId != 0) return ClusterId;
        string canonical = string.Join(',', ParseAddresses(Peers).OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value.Host}:{p.Value.Port}"));
        ulong hash = 14695981039346656037UL;
        foreach (char c in canonical) hash = (hash ^ c) * 1099511628211UL;
        return hash == 0 ? 1 : hash;
    }

    /// <summary>Checks the whole configuration; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public void Validate()
    {
        Dictionary<int, (string, int)> peers = ParseAddresses(Peers);
        if (!peers.ContainsKey(Id)) throw new FormatException($"--id {Id} is not among --peers");
        if (peers.Count is not (1 or 3 or 5 or 7)) throw new FormatException($"a cluster has 1, 3, 5 or 7 nodes, not {peers.Count}");
        ParseEndpoint(PeerListen);
        ParseEndpoint(ClientListen);
        if (ClientPeers is not null) ParseAddresses(ClientPeers);
        if (string.IsNullOrWhiteSpace(DataDir)) throw new FormatException("--data-dir is required");
        if (TickMilliseconds <= 0 || HeartbeatTicks <= 0 || ElectionTicks <= HeartbeatTicks) throw new FormatException("ticks must satisfy 0 < heartbeat < election");
        ValidateTls();
    }

    /// <summary>Reads options from a JSON file with the same (camelCase) names.</summary>
    public static ServerOptions FromJsonFile(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, ServerOptionsJson.Default.ServerOptions)
            ?? throw new FormatException($"{path}: empty configuration");
    }

    internal ServerLimits Limits => new() { SnapshotAfterLogBytes = SnapshotAfterLogBytes, CompactionLagEntries = CompactionLagEntries };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(ServerOptions))]
internal sealed partial class ServerOptionsJson : JsonSerializerContext;
