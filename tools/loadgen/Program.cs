// Goal: the loadgen executable: parse the command line and run.
using System.CommandLine;

namespace KvRaft.Loadgen;

internal static class Program
{
    /// <summary>
    /// SIGTERM or SIGINT cancels the run; the run then stops its local cluster and removes its folder, which takes a few
    /// seconds (each node stops cleanly). System.CommandLine's default wait for that is 2 s, after which it exits with
    /// the cluster's folder left behind (its nodes stop anyway: their input, a pipe from this process, closes).
    /// </summary>
    private static readonly InvocationConfiguration Invocation = new() { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };

    private static async Task<int> Main(string[] args)
    {
        // Socket completions on .NET's epoll threads rather than one thread-pool hand-off each: the
        // client's receive loop only parses answers and completes their tasks (20% less CPU per operation).
        // Read when the first socket is made, so it must come first; the servers it starts inherit it.
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        var root = LoadgenCommand.Create();
        return await root.Parse(args).InvokeAsync(Invocation).ConfigureAwait(false);
    }
}
