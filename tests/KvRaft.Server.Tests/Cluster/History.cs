// Goal: record what every logical client asked and got, in the shared history format, and check it with the project's linearizability checker; method: each call timed on the monotonic clock and classified by KvOutcome.
using System.Collections.Concurrent;
using System.Diagnostics;
using KvRaft.Client;
using KvRaft.Linearizability;

namespace KvRaft.Server.Tests.Cluster;

internal sealed class History
{
    private readonly ConcurrentQueue<Operation> _operations = new();
    private long _completed;

    /// <summary>Operations that completed (ok: true) so far.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    public IReadOnlyList<Operation> Operations => [.. _operations];

    /// <summary>Nanoseconds on the machine's monotonic clock.</summary>
    public static long Now()
    {
        var ticks = Stopwatch.GetTimestamp();
        var frequency = Stopwatch.Frequency;
        return (ticks / frequency * 1_000_000_000L) + (ticks % frequency * 1_000_000_000L / frequency);
    }

    public Task<bool?> PutAsync(KvClient kv, int client, string key, string value, TimeSpan timeout) =>
        WriteAsync(OperationKind.Put, client, key, value, () => kv.PutAsync(key, value, timeout));

    public Task<bool?> AppendAsync(KvClient kv, int client, string key, string value, TimeSpan timeout) =>
        WriteAsync(OperationKind.Append, client, key, value, () => kv.AppendAsync(key, value, timeout));

    /// <summary>A get; the value read ("" when absent) when it completed, else null.</summary>
    public async Task<(bool? Ok, string? Value)> GetAsync(KvClient kv, int client, string key, TimeSpan timeout)
    {
        var call = Now();
        string? value = null;
        Exception? error = null;
        try
        {
            value = await kv.GetAsync(key, timeout).ConfigureAwait(false) ?? "";
        }
        catch (Exception caught) when (caught is KvException or OperationCanceledException)
        {
            error = caught;
        }
        var ok = Add(new Operation(client, OperationKind.Get, key, null, null, error is null ? value : null, call, Now(), Status(error)));
        return (ok, error is null ? value : null);
    }

    /// <summary>Writes the history to <paramref name="path"/> and checks it; throws naming the seed, the file and every violation.</summary>
    public CheckResult Check(string path, int seed)
    {
        HistoryWriter.WriteFile(path, Operations);
        var result = HistoryChecker.CheckFile(path, new CheckOptions { TimeoutPerKey = ScenarioLimits.CheckTimeoutPerKey });
        if (!result.IsLinearizable)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: the history is {result.Verdict}:\n{result.Describe()}");
        }
        return result;
    }

    /// <summary>One line per kind of outcome: "put ok 120, unknown 2; get ok 80; ...".</summary>
    public string Summary() => string.Join("; ", Operations.GroupBy(o => o.Kind).OrderBy(g => g.Key).Select(g =>
        $"{g.Key.ToString().ToLowerInvariant()} " + string.Join(", ", g.GroupBy(o => o.Status).OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Count()}"))));

    private async Task<bool?> WriteAsync(OperationKind kind, int client, string key, string value, Func<Task> write)
    {
        var call = Now();
        Exception? error = null;
        try
        {
            await write().ConfigureAwait(false);
        }
        catch (Exception caught) when (caught is KvException or OperationCanceledException)
        {
            error = caught;
        }
        return Add(new Operation(client, kind, key, value, null, null, call, Now(), Status(error)));
    }

    private bool? Add(Operation operation)
    {
        _operations.Enqueue(operation);
        if (operation.Status == OperationStatus.Completed)
        {
            Interlocked.Increment(ref _completed);
        }

        return operation.Status switch
        {
            OperationStatus.Completed => true,
            OperationStatus.Failed => false,
            _ => null,
        };
    }

    private static OperationStatus Status(Exception? error) => KvOutcome.Classify(error) switch
    {
        true => OperationStatus.Completed,
        false => OperationStatus.Failed,
        null => OperationStatus.Unknown,
    };
}
