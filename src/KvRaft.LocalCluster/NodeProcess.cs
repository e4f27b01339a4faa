using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KvRaft.LocalCluster;

/// <summary>One node as a child process; its output goes to a log file in its data directory.</summary>
internal sealed partial class NodeProcess : IDisposable
{
    private const int SignalTerminate = 15, SignalStop = 19, SignalContinue = 18;
    private readonly Process _process;
    private readonly StreamWriter _log;

    public NodeProcess(string serverPath, IEnumerable<string> arguments, string logPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + serverPath);
        _process.OutputDataReceived += (_, line) => Write(line.Data);
        _process.ErrorDataReceived += (_, line) => Write(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>SIGKILL: the node loses everything it had not made durable.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // the node is this one process: no tree to walk before the signal
        }

        _process.WaitForExit();
        RemoveDiagnosticLeftovers(_process.Id);
    }

    /// <summary>
    /// A .NET process removes its diagnostic IPC files from the temp folder when it exits (clr-debug-pipe-PID-*,
    /// dotnet-diagnostic-PID-*-socket); SIGKILL leaves them, three per kill. Removed here once the process is gone.
    /// </summary>
    internal static void RemoveDiagnosticLeftovers(int processId)
    {
        var folder = Path.GetTempPath();
        foreach (var pattern in (string[])[$"clr-debug-pipe-{processId}-*", $"dotnet-diagnostic-{processId}-*"])
        {
            foreach (var path in Directory.EnumerateFiles(folder, pattern))
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // Someone else's, or already gone.
                }
            }
        }
    }

    /// <summary>SIGSTOP.</summary>
    public void Pause() => Signal(SignalStop);

    /// <summary>SIGCONT.</summary>
    public void Resume() => Signal(SignalContinue);

    /// <summary>SIGTERM, then SIGKILL if it has not stopped within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Signal(SignalContinue);
        Signal(SignalTerminate);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    private void Signal(int signal)
    {
        if (!_process.HasExited && SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int processId, int signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
