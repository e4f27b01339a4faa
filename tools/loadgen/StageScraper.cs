// Goal: scrape every node's /metrics during a run (each second, and just before each fault) for the stage profile.
using KvRaft.LocalCluster;

namespace KvRaft.Loadgen;

/// <summary>One node's scrape: when the node started (its counters with it) and what it exposed.</summary>
public sealed record NodeScrape(double StartTimeSeconds, MetricsText Text);

/// <summary>A scrape of every node at one moment of the run; a node that did not answer (killed, paused) is null.</summary>
public sealed record ProfileScrape(long AtNanoseconds, bool BeforeFault, IReadOnlyList<NodeScrape?> Nodes);

/// <summary>Scrapes the nodes' /metrics, one scrape at a time, and keeps every scrape (a few per second of run: bounded by the run).</summary>
public sealed class StageScraper(IReadOnlyList<string> endpoints) : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BeforeFaultTimeout = TimeSpan.FromMilliseconds(250); // the fault waits for this scrape: a paused node must not hold it up
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) }; // a paused node answers nothing
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly List<ProfileScrape> _scrapes = [];

    /// <summary>The scrapes so far, in time order.</summary>
    public IReadOnlyList<ProfileScrape> Scrapes
    {
        get
        {
            lock (_scrapes)
            {
                return [.. _scrapes];
            }
        }
    }

    /// <summary>Scrapes every node now (just before a fault: each node within 250 ms, else it counts as not answering).</summary>
    public async Task ScrapeAsync(bool beforeFault, CancellationToken cancellation)
    {
        await _one.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            if (beforeFault)
            {
                bounded.CancelAfter(BeforeFaultTimeout);
            }

            var at = Clock.NowNanoseconds();
            var nodes = await Task.WhenAll(endpoints.Select(endpoint => TryScrapeAsync(endpoint, bounded.Token))).ConfigureAwait(false);
            lock (_scrapes)
            {
                _scrapes.Add(new ProfileScrape(at, beforeFault, nodes));
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Scrapes at <paramref name="startNanoseconds"/> and every second after, until cancelled.</summary>
    public async Task RunAsync(long startNanoseconds, CancellationToken cancellation)
    {
        try
        {
            for (var next = startNanoseconds; ; next += (long)Interval.TotalNanoseconds)
            {
                await Clock.DelayUntilAsync(next, cancellation).ConfigureAwait(false);
                await ScrapeAsync(beforeFault: false, cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    private async Task<NodeScrape?> TryScrapeAsync(string endpoint, CancellationToken cancellation)
    {
        try
        {
            var text = await MetricsText.ScrapeAsync(_http, endpoint, cancellation).ConfigureAwait(false);
            return new NodeScrape(text.Sum("kvraft_start_time_seconds"), text);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or FormatException)
        {
            return null; // down, paused or unreachable: its figures come from its previous scrape
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _one.Dispose();
    }
}
