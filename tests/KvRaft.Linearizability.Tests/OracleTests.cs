// Goal: the checker's verdict equals the definition's on small random histories, both verdicts and all op kinds and outcomes; method: CsCheck generates histories (fixed seed, one deterministic batch) and each is also checked by brute force over every order.
using CsCheck;
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class OracleTests
{
    private const string Seed = "0000wnA434L1";
    private static readonly string[] Written = ["a", "b", "c", "ab"];
    private static readonly string[] Read = ["", "a", "b", "c", "ab", "ba", "abc", "cab", "aab"];

    private static readonly Gen<Operation> Operations =
        Gen.Select(Gen.Int[0, 99], Gen.Int[0, 30], Gen.Int[0, 12], Gen.Int[0, 9], Gen.Int[0, 99])
            .Select((kind, call, length, pick, outcome) => Build(kind, call, call + length, pick, outcome));

    [Fact]
    public void SmallRandomHistories_GetTheSameVerdictAsBruteForce()
    {
        var verdicts = new int[2];
        Operations.Array[1, 10].Array[3_000].Sample(histories =>
        {
            foreach (var history in histories)
            {
                var expected = BruteForce.IsLinearizable(history);
                var result = HistoryChecker.Check(history);
                verdicts[expected ? 1 : 0]++;
                Assert.True(result.IsLinearizable == expected,
                    $"brute force says {expected}\n{string.Join("\n", history.Select(o => $"{OperationFormatter.Format(o, 0)} {o.CallNanoseconds}..{o.ReturnNanoseconds} ns"))}\n{result.Describe()}");
            }
        }, seed: Seed, iter: 1, threads: 1);
        Assert.True(verdicts[0] > 200 && verdicts[1] > 200, $"too one-sided: {verdicts[0]} not, {verdicts[1]} linearizable");
    }

    private static Operation Build(int kind, long call, long returned, int pick, int outcome)
    {
        var status = outcome < 70 ? OperationStatus.Completed : outcome < 90 ? OperationStatus.Unknown : OperationStatus.Failed;
        var written = Written[pick % Written.Length];
        var get = new Operation(0, OperationKind.Get, "k", null, null, Read[pick % Read.Length], call, returned, status);
        return kind switch
        {
            < 40 => get,
            < 60 => get with { Kind = OperationKind.Put, Value = written, Output = null },
            < 75 => get with { Kind = OperationKind.Append, Value = written, Output = null },
            < 83 => get with { Kind = OperationKind.Delete, Output = null },
            _ => get with
            {
                Kind = OperationKind.Cas,
                Value = written,
                Expected = Read[(pick + kind) % 4],
                Output = status == OperationStatus.Completed ? (kind % 2 == 0 ? "true" : "false") : null,
            },
        };
    }
}
