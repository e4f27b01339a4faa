// Goal: run a built executable of this repository (kvraft.dll, QuickStart.dll) as a user would. Method: `dotnet NAME.dll ARGS` from the test's output folder, stdin fed and closed, stdout and stderr captured, killed (whole tree) when it overruns its limit.
using System.Diagnostics;

namespace KvRaft.Cli.Tests;

internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

internal static class Tool
{
    public static Task<ToolRun> Kvraft(params string[] arguments) => RunAsync("kvraft.dll", arguments);

    public static async Task<ToolRun> RunAsync(string assembly, IEnumerable<string> arguments, string? input = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("KVRAFT_ENDPOINTS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet " + assembly);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(Bounded.Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {assembly} {string.Join(' ', arguments)} ran over {Bounded.Limit}");
        }
        return new ToolRun(process.ExitCode, await output, await error);
    }
}
