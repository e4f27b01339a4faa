using BenchmarkDotNet.Running;

namespace KvRaft.Storage.Benchmarks;

public static class Program
{
    public static async Task Main(string[] args)
    {
        if (args is ["--overwrite-soak", ..])
        {
            await OverwriteSoak.RunAsync(args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) * 1_000_000 : 20_000_000);
            return;
        }
        if (args is ["--apply-cpu", ..])
        {
            ApplyCpu.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
            return;
        }
        if (args is ["--fetch-soak", ..])
        {
            await FetchSoak.RunAsync(args);
            return;
        }
        if (args is ["--reopen-phases", ..])
        {
            ReopenPhases.Run(args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100,
                args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
