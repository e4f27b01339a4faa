// Goal: a load of appends whose result can be checked exactly: each writer appends numbered tokens to its own key. Method: one task per writer, acknowledged and unknown tokens recorded; waiters are released by the acknowledgement count, not by time.
using KvRaft.Client;

namespace KvRaft.Cli.Tests;

internal sealed class AppendLoad(KvClient client, int writers) : IDisposable
{
    private readonly List<HashSet<string>> _acknowledgedTokens = Enumerable.Range(0, writers).Select(_ => new HashSet<string>()).ToList();
    private readonly List<HashSet<string>> _unknownTokens = Enumerable.Range(0, writers).Select(_ => new HashSet<string>()).ToList();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly CancellationTokenSource _stop = new();
    private int _acknowledged, _unknownCount;

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    public int Unknown => Volatile.Read(ref _unknownCount);

    public static string Key(int writer) => $"writer-{writer}";

    public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(() => WriteAsync(writer))));

    public void Stop() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    /// <summary>Completes once <paramref name="count"/> appends have been acknowledged.</summary>
    public Task Reached(int count)
    {
        lock (_waiters)
        {
            if (_acknowledged >= count)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, waiter));
            return waiter.Task;
        }
    }

    private async Task WriteAsync(int writer)
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var token = $"{n};";
            try
            {
                await client.AppendAsync(Key(writer), token);
                lock (_waiters)
                {
                    _acknowledgedTokens[writer].Add(token);
                }

                Acknowledge();
            }
            catch (KvOutcomeUnknownException)
            {
                lock (_waiters)
                {
                    _unknownTokens[writer].Add(token);
                }

                Interlocked.Increment(ref _unknownCount);
            }
            catch (KvNotAppliedException)
            {
                // Definitely not applied: the token must not show up.
            }
        }
    }

    private void Acknowledge()
    {
        lock (_waiters)
        {
            _acknowledged++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _acknowledged))
            {
                waiter.Reached.TrySetResult();
            }
        }
    }

    /// <summary>Every acknowledged token once, unknown ones at most once, nothing else.</summary>
    public void AssertExactlyOnce(int writer, string? value)
    {
        var tokens = (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(t => t + ";").ToArray();
        Assert.Equal(tokens.Length, tokens.Distinct().Count());
        Assert.Empty(_acknowledgedTokens[writer].Except(tokens));
        Assert.Empty(tokens.Except(_acknowledgedTokens[writer]).Except(_unknownTokens[writer]));
    }
}
