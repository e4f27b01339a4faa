using System.CommandLine;
using System.Runtime.InteropServices;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>The kvraft-server executable.</summary>
public static class Program
{
    /// <summary>Exit codes.</summary>
    public const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2;

    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        RunSocketCompletionsInline();
        var root = ServerCommand.Create(RunAsync);
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Asks .NET to run socket completions on its epoll threads instead of handing each one to the
    /// thread pool: the transport's completion handlers only queue work to their event loops, and the
    /// hand-off cost a thread wake-up per read (measured: 20% less CPU per operation, docs/benchmarks.md).
    /// Read once, when the first socket is made: this must run before any.
    /// </summary>
    internal static void RunSocketCompletionsInline() =>
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

    /// <summary>Runs one node until SIGTERM or SIGINT.</summary>
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var loggers = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss.fff "; })
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggers.CreateLogger("kvraft");
        try
        {
            options.Validate();
        }
        catch (FormatException error)
        {
            logger.LogError("Invalid configuration: {Message}", error.Message);
            return ExitUsage;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        if (options.StopWhenInputCloses)
        {
            InputWatch.Start(logger, stop);
        }
        IRunningServer server;
        try
        {
            server = options.Groups > 0
                ? await GroupServer.StartAsync(options, loggers).ConfigureAwait(false)
                : await KvServer.StartAsync(options, loggers).ConfigureAwait(false);
        }
        catch (Exception error) when (error is StorageCorruptException or DataDirectoryRefusedException or JoinRefusedException)
        {
            logger.LogCritical("Refusing to start: {Message}", error.Message);
            return ExitFailed;
        }
        await using (server.ConfigureAwait(false))
        {
            var stopped = await Task.WhenAny(server.Stopped, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
            if (stopped == server.Stopped && server.Stopped.IsFaulted)
            {
                logger.LogCritical("Node stopped: {Message}", server.Stopped.Exception?.GetBaseException().Message);
                return ExitFailed;
            }
            logger.LogInformation("Shutting down");
        }
        return ExitOk;
    }
}
