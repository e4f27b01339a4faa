// Goal: logical clients that keep a real cluster busy and record every operation in the history; method: each logical client runs one seeded operation at a time (at most one outstanding, as the history format asks) until its count is done or the workload is stopped.
using KvRaft.Client;

namespace KvRaft.Server.Tests.Cluster;

internal sealed record WorkloadOptions
{
    /// <summary>Logical clients (each with its own KvClient).</summary>
    public int Clients { get; init; } = 4;

    /// <summary>The first logical client's id in the history; the others follow.</summary>
    public int FirstClient { get; init; } = 1;

    /// <summary>The keys, chosen uniformly.</summary>
    public IReadOnlyList<string> Keys { get; init; } = ["k0", "k1", "k2"];

    /// <summary>Share of gets, in percent.</summary>
    public int GetPercent { get; init; } = 40;

    /// <summary>Share of puts, in percent; the rest are appends.</summary>
    public int PutPercent { get; init; } = 30;

    /// <summary>Operations each client issues at most.</summary>
    public int OperationsPerClient { get; init; } = int.MaxValue;

    /// <summary>Deadline of one operation, retries included.</summary>
    public TimeSpan OperationTimeout { get; init; } = ScenarioLimits.FaultyOperationTimeout;

    /// <summary>The nodes the clients know (default: all).</summary>
    public int[] Nodes { get; init; } = [];

    /// <summary>Filler bytes added to every put value (to grow the log fast).</summary>
    public int PutPaddingBytes { get; init; }
}

internal sealed class Workload(Scenario scenario, WorkloadOptions options)
{
    private readonly CancellationTokenSource _stop = new();
    private Task _completion = Task.CompletedTask;

    public WorkloadOptions Options => options;

    /// <summary>Completes when every client has issued its operations (or was stopped).</summary>
    public Task Completion => _completion;

    public IEnumerable<string> Keys => options.Keys;

    public void Start() => _completion = Task.WhenAll(Enumerable.Range(options.FirstClient, options.Clients)
        .Select(client => Task.Run(() => RunClientAsync(client, scenario.NewClient(options.Nodes)))));

    /// <summary>Waits (bounded) until every client has issued all its operations.</summary>
    public Task WaitUntilDoneAsync() =>
        Eventually.Within(_completion, $"{options.Clients} clients issue {options.OperationsPerClient} operations each");

    /// <summary>Lets each client finish its current operation, then waits for all of them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Eventually.Within(_completion, "the workload's clients stop").ConfigureAwait(false); // surfaces a client's unexpected failure too
    }

    private async Task RunClientAsync(int client, KvClient kv)
    {
        var random = new Random((scenario.Seed * 7919) + client);
        var history = scenario.History;
        string padding = new('x', options.PutPaddingBytes);
        for (var sequence = 1; sequence <= options.OperationsPerClient && !_stop.IsCancellationRequested; sequence++)
        {
            var key = options.Keys[random.Next(options.Keys.Count)];
            var roll = random.Next(100);
            if (roll < options.GetPercent)
            {
                await history.GetAsync(kv, client, key, options.OperationTimeout).ConfigureAwait(false);
            }
            else if (roll < options.GetPercent + options.PutPercent)
            {
                await history.PutAsync(kv, client, key, $"p{client}.{sequence};{padding}", options.OperationTimeout).ConfigureAwait(false);
            }
            else
            {
                await history.AppendAsync(kv, client, key, $"a{client}.{sequence};", options.OperationTimeout).ConfigureAwait(false);
            }
        }
    }
}
