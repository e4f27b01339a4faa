// Goal: run a built executable of this repository (kvraft.dll, QuickStart.dll) as a user would, or the dotnet CLI itself (pack, build). Method: `dotnet NAME.dll ARGS` from the test's output folder (or `dotnet ARGS`), stdin fed and closed, stdout and stderr captured, killed (whole tree) when it overruns its limit.
using System.Diagnostics;

namespace KvRaft.Cli.Tests;

internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

internal static class Tool
{
    public static Task<ToolRun> Kvraft(params string[] arguments) => RunAsync("kvraft.dll", arguments);

    /// <summary>`dotnet ASSEMBLY ARGS`, the assembly's path relative to the test's output folder (or absolute).</summary>
    public static Task<ToolRun> RunAsync(string assembly, IEnumerable<string> arguments, string? input = null, IReadOnlyDictionary<string, string>? environment = null) =>
        DotnetAsync([Path.Combine(AppContext.BaseDirectory, assembly), .. arguments], Bounded.Limit, input, environment);

    /// <summary>`dotnet ARGS` with its own limit (a build takes longer than a command), without the variables named in <paramref name="unset"/>.</summary>
    public static async Task<ToolRun> DotnetAsync(IReadOnlyList<string> arguments, TimeSpan limit, string? input = null, IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? unset = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("KVRAFT_ENDPOINTS");
        foreach (var name in unset ?? [])
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet " + arguments[0]);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var overrun = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(overrun.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} ran over {limit}");
        }
        return new ToolRun(process.ExitCode, await output, await error);
    }
}
