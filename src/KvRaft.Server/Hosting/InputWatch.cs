using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// Stops the node when its standard input ends (<see cref="ServerOptions.StopWhenInputCloses"/>): a supervisor that
/// started it with a pipe as input and writes nothing is gone once the pipe closes, however it ended.
/// </summary>
internal static class InputWatch
{
    /// <summary>Reads standard input on a background thread until its end, then cancels <paramref name="stop"/>.</summary>
    public static void Start(ILogger logger, CancellationTokenSource stop)
    {
        var thread = new Thread(() => WatchInput(logger, stop)) { IsBackground = true, Name = "kvraft input watch" };
        thread.Start();
    }

    private static void WatchInput(ILogger logger, CancellationTokenSource stop)
    {
        var buffer = new byte[256];
        try
        {
            using var input = Console.OpenStandardInput();
            while (input.Read(buffer) > 0)
            {
                // Whatever the supervisor writes means nothing: only the end of input does.
            }
        }
        catch (IOException error)
        {
            logger.LogWarning("Standard input failed ({Message}): stopping as if it had closed", error.Message);
        }
        logger.LogInformation("Standard input closed: stopping");
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The node stopped already.
        }
    }
}
