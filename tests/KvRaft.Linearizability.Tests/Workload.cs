namespace KvRaft.Linearizability.Tests;

/// <summary>The shape of a generated workload.</summary>
internal sealed record WorkloadShape(int Clients, int OperationsPerClient, int Keys, int Seed, double UnknownRate = 0.03, double FailedRate = 0.03)
{
    public override string ToString() =>
        $"clients={Clients} ops/client={OperationsPerClient} keys={Keys} seed={Seed} unknown={UnknownRate} failed={FailedRate}";
}

/// <summary>
/// Generates linearizable histories: each operation gets a linearization point, is applied to a
/// sequential reference map at that point, and is given a random real-time interval containing
/// it; one client's intervals never overlap.
/// </summary>
internal static class Workload
{
    private const long Spacing = 1_000;

    public static List<Operation> Generate(WorkloadShape shape)
    {
        var random = new Random(shape.Seed);
        var order = LinearizationOrder(shape, random);
        var reference = new Dictionary<string, string>();
        var points = new List<long>[shape.Clients];
        var drafts = new List<Operation>[shape.Clients];
        for (var client = 0; client < shape.Clients; client++)
        {
            points[client] = [];
            drafts[client] = [];
        }
        for (var i = 0; i < order.Length; i++)
        {
            var client = order[i];
            points[client].Add((i + 1) * Spacing);
            drafts[client].Add(Apply(client, drafts[client].Count, shape, random, reference));
        }
        return [.. Enumerable.Range(0, shape.Clients).SelectMany(c => Intervals(drafts[c], points[c], random))];
    }

    private static int[] LinearizationOrder(WorkloadShape shape, Random random)
    {
        int[] order = [.. Enumerable.Range(0, shape.Clients).SelectMany(c => Enumerable.Repeat(c, shape.OperationsPerClient))];
        random.Shuffle(order);
        return order;
    }

    /// <summary>Runs one operation against the reference at its linearization point.</summary>
    private static Operation Apply(int client, int sequence, WorkloadShape shape, Random random, Dictionary<string, string> reference)
    {
        var key = $"k{random.Next(shape.Keys)}";
        var value = $"v-{client}-{sequence}";
        var current = reference.GetValueOrDefault(key, "");
        var roll = random.NextDouble();
        var status = roll < shape.FailedRate ? OperationStatus.Failed
            : roll < shape.FailedRate + shape.UnknownRate ? OperationStatus.Unknown
            : OperationStatus.Completed;
        var applies = status == OperationStatus.Completed || (status == OperationStatus.Unknown && random.Next(2) == 0);
        var operation = new Operation(client, OperationKind.Get, key, null, null, current, 0, 0, status);
        switch (random.Next(100))
        {
            case < 40:
                return status == OperationStatus.Completed ? operation : operation with { Output = "garbage" };
            case < 65:
                Write(reference, key, value, applies);
                return operation with { Kind = OperationKind.Put, Value = value, Output = null };
            case < 80:
                Write(reference, key, current + value, applies);
                return operation with { Kind = OperationKind.Append, Value = value, Output = null };
            case < 87:
                Write(reference, key, "", applies);
                return operation with { Kind = OperationKind.Delete, Output = null };
            default:
                var expected = random.Next(2) == 0 ? current : $"v-{random.Next(shape.Clients)}-{random.Next(sequence + 1)}";
                var swapped = expected == current;
                Write(reference, key, swapped ? value : current, applies);
                var output = status == OperationStatus.Completed ? (swapped ? "true" : "false") : null;
                return operation with { Kind = OperationKind.Cas, Value = value, Expected = expected, Output = output };
        }
    }

    private static void Write(Dictionary<string, string> reference, string key, string value, bool applies)
    {
        if (applies)
        {
            reference[key] = value;
        }
    }

    /// <summary>Gives each of one client's operations an interval around its point, not overlapping the next.</summary>
    private static IEnumerable<Operation> Intervals(List<Operation> drafts, List<long> points, Random random)
    {
        var earliestCall = Math.Max(0, points.Count == 0 ? 0 : points[0] - 20 * Spacing);
        for (var i = 0; i < drafts.Count; i++)
        {
            var point = points[i];
            var split = i + 1 < points.Count ? random.NextInt64(point, points[i + 1]) : point + random.NextInt64(20 * Spacing);
            var call = random.NextInt64(earliestCall, point + 1);
            var returned = random.NextInt64(point, split + 1);
            earliestCall = split + 1;
            yield return drafts[i] with { CallNanoseconds = call, ReturnNanoseconds = returned };
        }
    }
}
