using System.CommandLine;
using System.Diagnostics;
using KvRaft.Client;

namespace KvRaft.Cli;

/// <summary>Runs one client command and maps its errors to exit codes (docs/cli.md).</summary>
internal static class ClientAction
{
    public static Func<ParseResult, CancellationToken, Task<int>> Of(ConnectionOptions connection, Func<ParseResult, KvClient, CancellationToken, Task<int>> run) =>
        async (parse, cancellation) =>
        {
            var watch = Stopwatch.StartNew();
            var timeout = TimeSpan.Zero;
            try
            {
                timeout = connection.CallTimeout(parse);
                await using var client = connection.Connect(parse);
                return await run(parse, client, cancellation).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                var code = ExitCode(error, timedOut: watch.Elapsed >= timeout);
                await Console.Error.WriteLineAsync($"kvraft: {Describe(error)}").ConfigureAwait(false);
                return code;
            }
        };

    /// <summary>The exit code of a failed command.</summary>
    public static int ExitCode(Exception error, bool timedOut) => error switch
    {
        UsageException or KvInvalidArgumentException => ExitCodes.Usage,
        KvClusterUnavailableException or KvOutcomeUnknownException => ExitCodes.Unavailable,
        KvNotAppliedException when timedOut => ExitCodes.Unavailable,
        _ => ExitCodes.Failed,
    };

    private static string Describe(Exception error) => error switch
    {
        KvTooLargeException => "too large, not applied: " + error.Message,
        KvClusterUnavailableException => "cluster unavailable: " + error.Message,
        KvOutcomeUnknownException => "outcome unknown (the write may or may not have been applied): " + error.Message,
        KvNotAppliedException => "not applied: " + error.Message,
        _ => error.Message,
    };
}
