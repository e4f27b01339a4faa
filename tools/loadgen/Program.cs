// Goal: the loadgen executable: parse the command line and run.
using System.CommandLine;

namespace KvRaft.Loadgen;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        RootCommand root = LoadgenCommand.Create();
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
