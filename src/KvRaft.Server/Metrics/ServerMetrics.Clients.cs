using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using KvRaft.Protocol;

namespace KvRaft.Server.Metrics;

internal sealed partial class ServerMetrics
{
    private readonly Histogram<double> _clientDuration;
    private readonly Histogram<double> _peerRoundTrip;
    private readonly ConcurrentDictionary<int, HeartbeatClock> _heartbeats = new();

    // Labels by op and status byte (their wire values): built once, so a record allocates nothing.
    private static readonly KeyValuePair<string, object?>[] OpTags = Labels<ClientOp>("op");
    private static readonly KeyValuePair<string, object?>[] ResultTags = Labels<ClientStatus>("result");

    /// <summary>The answer to a request received at <paramref name="received"/> was flushed at <paramref name="flushed"/>.</summary>
    public void ClientReplied(ClientOp op, ClientStatus status, long received, long flushed) =>
        _clientDuration.Record(Seconds(Math.Max(0, flushed - received)), OpTags[(byte)op], ResultTags[(byte)status]);

    /// <summary>The leader sent a heartbeat to <paramref name="peer"/> (the newest one is the one an answer is paired with).</summary>
    public void HeartbeatSent(int peer) => Volatile.Write(ref Clock(peer).SentAt, Stopwatch.GetTimestamp());

    /// <summary><paramref name="peer"/> answered a heartbeat: its round trip, if a heartbeat is unanswered.</summary>
    public void HeartbeatAnswered(int peer)
    {
        if (!_heartbeats.TryGetValue(peer, out var clock))
        {
            return; // no heartbeat sent to it (or it left the configuration since)
        }
        var sent = Interlocked.Exchange(ref clock.SentAt, 0);
        if (sent != 0)
        {
            _peerRoundTrip.Record(Seconds(Stopwatch.GetTimestamp() - sent), clock.Tag);
        }
    }

    private HeartbeatClock Clock(int peer) =>
        _heartbeats.TryGetValue(peer, out var clock) ? clock : _heartbeats.GetOrAdd(peer, static id => new HeartbeatClock(id));

    private static KeyValuePair<string, object?>[] Labels<TEnum>(string key) where TEnum : struct, Enum =>
        Enumerable.Range(0, 256).Select(value => new KeyValuePair<string, object?>(key, LabelOf<TEnum>((byte)value))).ToArray();

    private static string LabelOf<TEnum>(byte value) where TEnum : struct, Enum
    {
        foreach (var known in Enum.GetValues<TEnum>())
        {
            if (Convert.ToByte(known, CultureInfo.InvariantCulture) == value)
            {
                return SnakeCase(known.ToString());
            }
        }
        return value.ToString(CultureInfo.InvariantCulture);
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>The newest unanswered heartbeat to one peer (0: none).</summary>
    private sealed class HeartbeatClock(int peer)
    {
        public long SentAt;
        public readonly KeyValuePair<string, object?> Tag = new("peer", peer.ToString(CultureInfo.InvariantCulture));
    }
}
