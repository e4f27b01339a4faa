using System.Collections.Concurrent;

namespace KvRaft.Transport;

/// <summary>
/// The log of cluster-shape refusals (docs/wire-format.md, PeerHello): the dialler redials a peer of another shape every
/// reconnect delay, and both ends refuse each attempt; each refusal is counted, but logged at most once per
/// <see cref="ShapeMismatchLogIntervalMilliseconds"/> per peer (a configured peer: the set is bounded by the links).
/// </summary>
public sealed partial class PeerTransport
{
    /// <summary>Least time between two logged shape refusals of one peer.</summary>
    public const int ShapeMismatchLogIntervalMilliseconds = 60_000;

    private readonly ConcurrentDictionary<int, long> _shapeMismatchLogged = new(); // peer id → when its refusal was last logged

    /// <summary>Whether this shape refusal of peer <paramref name="nodeId"/> is logged (the first, then one per interval).</summary>
    internal bool LogsShapeMismatch(int nodeId)
    {
        var now = Options.Time.GetTimestamp();
        if (_shapeMismatchLogged.TryGetValue(nodeId, out var last) && Options.Time.GetElapsedTime(last, now).TotalMilliseconds < ShapeMismatchLogIntervalMilliseconds)
        {
            return false;
        }
        _shapeMismatchLogged[nodeId] = now;
        return true;
    }
}
