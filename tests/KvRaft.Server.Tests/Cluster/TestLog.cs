// Goal: keep the nodes' recent log lines so that a failed scenario can show what the cluster did; method: a bounded in-memory logger provider, written to the test output only on failure.
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Tests.Cluster;

internal sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Information).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Adds a line from the scenario itself (faults injected, leaders seen).</summary>
    public void Note(string text) => Add("scenario", LogLevel.Information, text);

    public string Dump() => string.Join('\n', _lines);

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, string text)
    {
        _lines.Enqueue($"{Stopwatch.GetElapsedTime(_start).TotalSeconds,8:0.000} {level,-11} {category}: {text}");
        while (_lines.Count > ScenarioLimits.LogLinesMax)
        {
            _lines.TryDequeue(out _);
        }
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, exception);
            if (exception is not null)
            {
                text += $" [{exception.GetType().Name}: {exception.Message}]";
            }

            log.Add(category, logLevel, text);
        }
    }
}
