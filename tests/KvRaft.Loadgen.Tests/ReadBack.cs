// Goal: read every key once the faults are healed, recording each read as history operations.
using KvRaft.Client;
using KvRaft.Linearizability;

namespace KvRaft.Loadgen.Tests;

internal static class ReadBack
{
    private const int Readers = 8;

    /// <summary>Reads each key until one read succeeds; every attempt is recorded (clients from <paramref name="firstClient"/>).</summary>
    public static async Task<List<OperationRecord>> ReadAllAsync(KvClient client, IReadOnlyList<string> keys, int firstClient, TimeSpan deadline)
    {
        using var cancellation = new CancellationTokenSource(deadline);
        var results = new List<OperationRecord>[Readers];
        await Task.WhenAll(Enumerable.Range(0, Readers).Select(async reader =>
        {
            results[reader] = [];
            for (var i = reader; i < keys.Count; i += Readers)
            {
                await ReadKeyAsync(client, keys[i], firstClient + reader, results[reader], cancellation.Token);
            }
        }));
        return [.. results.SelectMany(list => list)];
    }

    private static async Task ReadKeyAsync(KvClient client, string key, int clientId, List<OperationRecord> records, CancellationToken cancellation)
    {
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var call = Clock.NowNanoseconds();
            try
            {
                var output = await client.GetAsync(key, TimeSpan.FromSeconds(5), cancellation) ?? "";
                records.Add(new OperationRecord(clientId, OperationKind.Get, key, null, null, output, call, call, Clock.NowNanoseconds(), true, null));
                return;
            }
            catch (KvException error)
            {
                records.Add(new OperationRecord(clientId, OperationKind.Get, key, null, null, null, call, call, Clock.NowNanoseconds(),
                    KvOutcome.Classify(error), error.GetType().Name));
            }
        }
    }
}
