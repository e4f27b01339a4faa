using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Metrics;

/// <summary>What a probe answers: true with a short reason, or false with what is wrong.</summary>
internal readonly record struct ProbeResult(bool Ok, string Reason);

/// <summary>
/// The operator's HTTP port (--metrics-listen): GET /metrics (Prometheus text), /health (the process is up and its
/// storage open: the event loop runs) and /ready (the node knows a leader and has applied what is committed, within
/// a bound). One request at a time, each bounded in time: a scrape port, not a web server.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    private readonly HttpListener _listener = new();
    private readonly Func<string> _scrape;
    private readonly Func<ProbeResult> _health;
    private readonly Func<ProbeResult> _ready;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _serving = Task.CompletedTask;

    public MetricsServer(string listen, Func<string> scrape, Func<ProbeResult> health, Func<ProbeResult> ready, ILogger logger)
    {
        (var host, var port) = Hosting.ServerOptions.ParseEndpoint(listen);
        if (port == 0)
        {
            throw new FormatException($"--metrics-listen {listen}: a port is required (the HTTP listener cannot pick one)");
        }

        if (host is "0.0.0.0" or "::" or "[::]" or "")
        {
            host = "+"; // every interface, as the other ports' wildcard
        }

        _listener.Prefixes.Add($"http://{host}:{port}/");
        _scrape = scrape;
        _health = health;
        _ready = ready;
        _logger = logger;
    }

    public void Start()
    {
        _listener.Start();
        _serving = ServeAsync(_stopping.Token);
    }

    private async Task ServeAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                return; // stopped
            }
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(AnswerTimeout);
                await AnswerAsync(context, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                _logger.LogDebug("Metrics request from {Remote} failed: {Message}", context.Request.RemoteEndPoint, error.Message);
                context.Response.Abort();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken cancellation)
    {
        var response = context.Response;
        var path = context.Request.Url?.AbsolutePath ?? "/";
        (var status, var contentType, var body) = context.Request.HttpMethod is not ("GET" or "HEAD")
            ? (405, "text/plain", "GET only\n")
            : path switch
            {
                "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", _scrape()),
                "/health" => Probe(_health()),
                "/ready" => Probe(_ready()),
                _ => (404, "text/plain", "not found: /metrics, /health, /ready\n"),
            };
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        if (context.Request.HttpMethod == "GET")
        {
            await response.OutputStream.WriteAsync(bytes, cancellation).ConfigureAwait(false);
        }

        response.Close();
    }

    private static (int, string, string) Probe(ProbeResult result) => (result.Ok ? 200 : 503, "text/plain", result.Reason + "\n");

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        await _serving.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
