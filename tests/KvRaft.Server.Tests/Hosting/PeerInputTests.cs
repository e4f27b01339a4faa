// Goal: a running server refuses impossible peer input by closing the connection it came on (logged once for that
// connection), keeps running and keeps serving a correct peer, and removes the snapshot staging files a stopped
// install left behind when it starts; method: one KvServer (node 2 of voters {1, 2, 3}) on free 127.0.0.1 ports, a raw
// socket that speaks as node 1 after a correct hello, a logger provider that keeps the warnings; the data folder is
// temporary and removed at the end.
using System.Collections.Concurrent;
using System.Net.Sockets;
using KvRaft.Protocol;
using KvRaft.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Tests.Hosting;

public sealed class PeerInputTests : IAsyncLifetime
{
    private const ulong ClusterId = 0xC1A5;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-peerinput-" + Guid.NewGuid().ToString("N"));
    private readonly Warnings _warnings = new();
    private ILoggerFactory _loggers = null!;
    private KvServer _server = null!;
    private int _peerPort;
    private string _leftover = "";

    public async Task InitializeAsync()
    {
        var ports = Transport.LoopbackPorts.Free(4);
        _peerPort = ports[1];
        var incoming = Path.Combine(_folder, "incoming");
        Directory.CreateDirectory(incoming);
        _leftover = Path.Combine(incoming, "incoming-" + Guid.NewGuid().ToString("N") + ".kvs");
        await File.WriteAllBytesAsync(_leftover, new byte[4096]);
        _loggers = LoggerFactory.Create(builder => builder.AddProvider(_warnings));
        _server = await KvServer.StartAsync(new ServerOptions
        {
            Id = 2,
            PeerListen = "127.0.0.1:" + ports[1],
            ClientListen = "127.0.0.1:" + ports[2],
            Peers = $"1=127.0.0.1:{ports[0]},2=127.0.0.1:{ports[1]},3=127.0.0.1:{ports[3]}", // nobody runs nodes 1 and 3
            ClusterId = ClusterId,
            DataDir = _folder,
        }, _loggers);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _loggers.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Snapshot_staging_files_left_by_a_stopped_install_are_removed_at_start() =>
        Assert.False(File.Exists(_leftover), "the staging file of an install that never finished is still there");

    [Fact]
    public async Task An_impossible_peer_message_closes_its_connection_logged_once_and_the_node_runs_on()
    {
        using (var forger = await ConnectAsNode1Async())
        {
            var poisoned = new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = long.MaxValue };
            await SendAsync(forger, [.. Frame(poisoned), .. Frame(poisoned with { Term = -1 })]);
            Assert.True(await ClosedByServerAsync(forger), "the server kept the connection open");
        }
        Assert.Single(_warnings.Lines, line => line.Contains("Closing peer connection", StringComparison.Ordinal));
        Assert.Contains("a term above TermMax", _warnings.Lines.Single(), StringComparison.Ordinal);

        using var peer = await ConnectAsNode1Async();
        await SendAsync(peer, Frame(new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = 1 }));
        Assert.True(await AnsweredAsync(peer), "the node did not answer a correct peer after refusing another connection");
        Assert.False(_server.Stopped.IsCompleted, "the node stopped");
    }

    private async Task<TcpClient> ConnectAsNode1Async()
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _peerPort);
        var hello = new PeerHello(ProtocolLimits.Version, ClusterId, 1, 2);
        var frame = new byte[PeerHelloCodec.FrameSize(hello)];
        PeerHelloCodec.FormatFrame(hello, frame);
        await SendAsync(client, frame);
        return client;
    }

    private static byte[] Frame(in PeerMessage message)
    {
        var frame = new byte[PeerMessageCodec.FrameSize(message)];
        PeerMessageCodec.FormatFrame(message, frame);
        return frame;
    }

    private static async Task SendAsync(TcpClient client, byte[] bytes) => await client.GetStream().WriteAsync(bytes);

    /// <summary>True when the server closes the connection (reads end) within the limit; what it sends first is skipped.</summary>
    private static async Task<bool> ClosedByServerAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(Limit);
        var buffer = new byte[4096];
        try
        {
            while (await client.GetStream().ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true; // reset by the server
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True when the server sends something (a heartbeat answer, a pre-vote) within the limit.</summary>
    private static async Task<bool> AnsweredAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            return await client.GetStream().ReadAsync(new byte[64], timeout.Token) > 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Keeps every warning the server logs.</summary>
    private sealed class Warnings : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel) && formatter(state, exception).Contains("Closing peer connection", StringComparison.Ordinal))
                {
                    lines.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
