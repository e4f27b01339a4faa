using System.CommandLine;

namespace KvRaft.Cli;

/// <summary>The kvraft executable.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = RootBuilder.Create();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("kvraft: " + error.Message).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run 'kvraft --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        // Commands that run until a signal register their own SIGINT/SIGTERM handlers and stop in their own time.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }
}
