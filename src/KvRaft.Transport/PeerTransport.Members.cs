using System.Collections.Frozen;

namespace KvRaft.Transport;

/// <summary>
/// Peers at runtime: <see cref="SetPeers"/> makes the transport's peers those it names (the members of the
/// configuration in effect, with their addresses): new ones are dialled (when this node's id is the lower) or
/// accepted, removed ones are forgotten, their dialling stopped and their connection closed; a peer whose address
/// changed is replaced. The hello and identity checks are unchanged: only a known peer's hello is accepted.
/// </summary>
public sealed partial class PeerTransport
{
    /// <summary>Peers at most (a configuration has at most 64 members).</summary>
    public const int PeersMax = 64;

    private readonly Lock _peersGate = new();
    private bool _started; // under _peersGate: dial loops run for new links

    /// <summary>
    /// Makes <paramref name="peers"/> (this node left out) the transport's peers. Thread-safe; returns at once.
    /// </summary>
    /// <returns>The ids added and removed.</returns>
    public (int[] Added, int[] Removed) SetPeers(IReadOnlyCollection<PeerEndpoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var wanted = peers.Where(peer => peer.NodeId != Options.LocalNodeId).ToArray();
        if (wanted.Length > PeersMax || wanted.Any(peer => peer.NodeId <= 0 || peer.Host.Length == 0 || peer.Port is <= 0 or > 65535)
            || wanted.Select(peer => peer.NodeId).Distinct().Count() != wanted.Length)
        {
            throw new ArgumentException($"peers must be at most {PeersMax}, with distinct positive ids and host:port addresses", nameof(peers));
        }
        lock (_peersGate)
        {
            var current = _links;
            var removed = current.Values.Where(link => !wanted.Contains(link.Endpoint)).ToArray();
            var added = wanted.Where(peer => !current.TryGetValue(peer.NodeId, out var link) || link.Endpoint != peer).Select(NewLink).ToArray();
            if (removed.Length == 0 && added.Length == 0)
            {
                return ([], []);
            }

            var next = current.Values.Except(removed).Concat(added).ToFrozenDictionary(link => link.NodeId);
            _links = next;
            foreach (var link in removed)
            {
                Forget(link);
            }

            foreach (var link in added)
            {
                TransportLog.PeerAdded(Logger, Options.LocalNodeId, link.NodeId, link.Endpoint.Host, link.Endpoint.Port);
                StartDialing(link);
            }
            _dialLoops.RemoveAll(loop => loop.IsCompleted);
            return (added.Select(link => link.NodeId).ToArray(), removed.Select(link => link.NodeId).ToArray());
        }
    }

    private PeerLink NewLink(PeerEndpoint peer) => new(peer, dials: Options.LocalNodeId < peer.NodeId);

    /// <summary>Under _peersGate, after StartAsync: a link this node dials gets its dial loop.</summary>
    private void StartDialing(PeerLink link)
    {
        if (!_started || !link.Dials)
        {
            return;
        }

        link.Dialing = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _dialLoops.Add(Task.Run(() => DialLanesAsync(link)));
    }

    /// <summary>A removed peer: no more dialling, its connections closed (what they had queued dropped).</summary>
    private void Forget(PeerLink link)
    {
        link.Removed = true;
        try
        {
            link.Dialing?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // its loop already ended (the transport is stopping)
        }
        link.Close();
        TransportLog.PeerRemoved(Logger, Options.LocalNodeId, link.NodeId);
    }
}
