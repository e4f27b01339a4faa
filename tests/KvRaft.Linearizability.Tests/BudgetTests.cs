// Goal: a key whose search runs out of budget is reported unknown, never linearizable; method: check with tiny step budgets and a cancelled token.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class BudgetTests
{
    private static List<Operation> Sample() => Workload.Generate(new WorkloadShape(Clients: 4, OperationsPerClient: 50, Keys: 2, Seed: 11));

    [Fact]
    public void StepBudgetSpent_GivesUnknownNotLinearizable()
    {
        var result = HistoryChecker.Check(Sample(), new CheckOptions { MaxStepsPerKey = 10 });
        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.False(result.IsLinearizable);
        Assert.All(result.Keys, key => Assert.Equal(Verdict.Unknown, key.Verdict));
        Assert.Contains("unknown (timed out after", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void EnoughBudget_GivesTheAnswer() =>
        Assert.Equal(Verdict.Linearizable, HistoryChecker.Check(Sample(), new CheckOptions { MaxStepsPerKey = 1_000_000 }).Verdict);

    [Fact]
    public void ViolationAndUnknownKeys_MakeTheWholeVerdictNotLinearizable()
    {
        var history = Sample();
        history.Add(new Operation(9, OperationKind.Get, "other", null, null, "never", 0, 1, OperationStatus.Completed));
        var result = HistoryChecker.Check(history, new CheckOptions { MaxStepsPerKey = 10 });
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Contains(result.Keys, key => key.Verdict == Verdict.Unknown);
    }

    [Fact]
    public void CancelledCheck_GivesUnknownForLongSearches()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var shape = new WorkloadShape(Clients: 6, OperationsPerClient: 2_000, Keys: 1, Seed: 3);
        var result = HistoryChecker.Check(Workload.Generate(shape), new CheckOptions { Cancellation = cancellation.Token });
        Assert.Equal(Verdict.Unknown, result.Verdict);
    }
}
