// Goal: generated linearizable histories always pass and mutated ones always fail; method: CsCheck draws workload shapes (fixed seed, one batch so the whole run is deterministic), each run against a sequential reference.
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace KvRaft.Linearizability.Tests;

public sealed class PropertyTests(ITestOutputHelper output)
{
    private const string Seed = "0000wnA434L1";

    private static readonly Gen<WorkloadShape> Shapes =
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 40], Gen.Int[1, 3], Gen.Int[0, int.MaxValue],
            (clients, operations, keys, seed) => new WorkloadShape(clients, operations, keys, seed));

    [Fact]
    public void HistoriesOfAReferenceRun_WithIntervalsAroundTheirPoints_AreLinearizable() =>
        Shapes.Array[150].Sample(shapes =>
        {
            foreach (var shape in shapes)
            {
                var result = HistoryChecker.Check(Workload.Generate(shape));
                Assert.True(result.IsLinearizable, $"{shape}\n{result.Describe()}");
            }
        }, seed: Seed, iter: 1, threads: 1);

    [Fact]
    public void HistoriesWithAGetReadingAValueNeverWritten_AreNotLinearizable() =>
        Shapes.Array[150].Sample(shapes =>
        {
            foreach (var shape in shapes)
            {
                var history = Workload.Generate(shape);
                var target = history.FindIndex(o => o.Kind == OperationKind.Get && o.Status == OperationStatus.Completed);
                if (target < 0)
                {
                    continue;
                }
                history[target] = history[target] with { Output = "never-written" };
                var result = HistoryChecker.Check(history);
                Assert.True(result.Verdict == Verdict.NotLinearizable, $"{shape}\n{result.Describe()}");
                Assert.Same(history[target], Assert.Single(result.Violations).Stuck);
            }
        }, seed: Seed, iter: 1, threads: 1);

    [Fact]
    public void SixClientsTimesTwoThousandOperationsOnOneKey_GetADefiniteAnswer()
    {
        var shape = new WorkloadShape(Clients: 6, OperationsPerClient: 2_000, Keys: 1, Seed: 2024);
        var options = new CheckOptions { MaxStepsPerKey = 20_000_000, TimeoutPerKey = TimeSpan.FromSeconds(20) };
        var result = HistoryChecker.Check(Workload.Generate(shape), options);
        output.WriteLine($"{shape}: {result.Describe()}steps: {result.Keys[0].Steps}, search {result.Keys[0].Elapsed.TotalMilliseconds:0} ms");
        Assert.True(result.Verdict == Verdict.Linearizable, $"{shape}\n{result.Describe()}");
    }

    [Fact]
    public void SixClientsTimesTwoThousandOperationsOnOneKey_WithOneBadReadAndNoUnknownOutcomes_GetADefiniteViolation()
    {
        // Unknown outcomes are left out here: proving a violation explores every placement of them (see docs/linearizability.md).
        var shape = new WorkloadShape(Clients: 6, OperationsPerClient: 2_000, Keys: 1, Seed: 7, UnknownRate: 0);
        var history = Workload.Generate(shape);
        var target = history.FindLastIndex(o => o.Kind == OperationKind.Get && o.Status == OperationStatus.Completed);
        history[target] = history[target] with { Output = "never-written" };
        var options = new CheckOptions { MaxStepsPerKey = 20_000_000, TimeoutPerKey = TimeSpan.FromSeconds(20) };
        var result = HistoryChecker.Check(history, options);
        output.WriteLine($"{shape}: {result.Describe(prefixShown: 3)}steps: {result.Keys[0].Steps}, search {result.Keys[0].Elapsed.TotalMilliseconds:0} ms");
        Assert.True(result.Verdict == Verdict.NotLinearizable, $"{shape}\n{result.Describe()}");
    }
}
