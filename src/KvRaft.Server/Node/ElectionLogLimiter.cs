namespace KvRaft.Server.Node;

/// <summary>
/// Bounds the election log lines about each peer (the (pre-)votes and answers sent to it and received from it) to
/// <see cref="ServerLimits.ElectionLogLinesPerPeerMax"/> per window of <see cref="ServerLimits.ElectionLogWindowTicks"/>
/// ticks: an election storm of normal size (a few lines per peer per election, a few elections per second) is logged in
/// full, while a peer that floods votes costs at most that many lines per window and one summary line naming how many
/// were suppressed. Logical time only (ticks), so the node stays deterministic. At most
/// <see cref="ServerLimits.ElectionLogPeersMax"/> peers are tracked; lines about any further peer share one budget.
/// </summary>
internal sealed class ElectionLogLimiter(int linesPerPeerMax, int windowTicks, int peersMax)
{
    /// <summary>The budget shared by peers beyond the tracked ones.</summary>
    public const int OtherPeers = 0;

    private readonly Dictionary<int, Window> _windows = [];

    /// <summary>A peer's lines suppressed in a window that has ended: <see cref="Flush"/> reports each once.</summary>
    public readonly record struct Suppressed(int Peer, int Lines, long WindowTicks);

    /// <summary>Whether a line about <paramref name="peer"/> may be logged at <paramref name="tick"/> (false: counted as suppressed).</summary>
    public bool TryTake(int peer, long tick, List<Suppressed> ended)
    {
        var key = _windows.ContainsKey(peer) || _windows.Count < peersMax ? peer : OtherPeers;
        if (!_windows.TryGetValue(key, out var window) || tick - window.StartTick >= windowTicks)
        {
            if (window.SuppressedLines > 0)
            {
                ended.Add(new Suppressed(key, window.SuppressedLines, tick - window.StartTick));
            }
            window = new Window(tick, 0, 0);
        }
        var allowed = window.Lines < linesPerPeerMax;
        _windows[key] = allowed ? window with { Lines = window.Lines + 1 } : window with { SuppressedLines = window.SuppressedLines + 1 };
        return allowed;
    }

    /// <summary>Adds the windows ended by <paramref name="tick"/> that suppressed lines to <paramref name="ended"/>, and forgets every ended window.</summary>
    public void Flush(long tick, List<Suppressed> ended)
    {
        if (_windows.Count == 0)
        {
            return;
        }
        List<int>? over = null;
        foreach (var (peer, window) in _windows)
        {
            if (tick - window.StartTick >= windowTicks)
            {
                if (window.SuppressedLines > 0)
                {
                    ended.Add(new Suppressed(peer, window.SuppressedLines, tick - window.StartTick));
                }
                (over ??= []).Add(peer);
            }
        }
        foreach (var peer in over ?? [])
        {
            _windows.Remove(peer);
        }
    }

    private readonly record struct Window(long StartTick, int Lines, int SuppressedLines);
}
