// Goal: direct evidence that appends are applied exactly once: a key's final value holds every acknowledged append once, an unknown one at most once, a refused one never, and nothing else; method: split the value into the workload's ';'-terminated tokens and count them against the history.
using KvRaft.Linearizability;

namespace KvRaft.Server.Tests.Cluster;

internal static class AppendAudit
{
    /// <summary>Checks <paramref name="value"/>, the final value of the append-only <paramref name="key"/>, against <paramref name="history"/>.</summary>
    public static void AssertExactlyOnce(int seed, string key, string value, IReadOnlyList<Operation> history)
    {
        List<Operation> appends = [.. history.Where(o => o.Key == key && o.Kind == OperationKind.Append)];
        Assert.True(history.All(o => o.Key != key || o.Kind is OperationKind.Append or OperationKind.Get), $"seed {seed}: key {key} must be append-only for this audit");
        List<string> tokens = [.. value.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(token => token + ";")];
        var counts = tokens.GroupBy(token => token, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var issued = appends.Select(o => o.Value!).ToHashSet(StringComparer.Ordinal);
        var stranger = counts.Keys.FirstOrDefault(token => !issued.Contains(token));
        Assert.True(stranger is null, $"seed {seed}: key {key} holds {stranger}, which no client appended");
        foreach (var append in appends)
        {
            var count = counts.GetValueOrDefault(append.Value!);
            (var least, var most) = append.Status switch
            {
                OperationStatus.Completed => (1, 1),
                OperationStatus.Unknown => (0, 1),
                _ => (0, 0),
            };
            Assert.True(count >= least && count <= most,
                $"seed {seed}: key {key}: the {append.Status} append {append.Value} of client {append.Client} appears {count} times in \"{value}\"");
        }
        AssertClientOrder(seed, key, tokens, appends);
    }

    /// <summary>One client's acknowledged appends follow each other in the value in the order it issued them (it waits for each).</summary>
    private static void AssertClientOrder(int seed, string key, List<string> tokens, List<Operation> appends)
    {
        var position = tokens.Select((token, index) => (token, index)).ToDictionary(p => p.token, p => p.index, StringComparer.Ordinal);
        foreach (var client in appends.Where(o => o.Status == OperationStatus.Completed).GroupBy(o => o.Client))
        {
            int[] order = [.. client.OrderBy(o => o.CallNanoseconds).Select(o => position[o.Value!])];
            Assert.True(order.Zip(order.Skip(1)).All(pair => pair.First < pair.Second),
                $"seed {seed}: key {key}: client {client.Key}'s acknowledged appends are out of the order it issued them");
        }
    }
}
