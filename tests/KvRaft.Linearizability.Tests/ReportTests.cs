// Goal: a violation names its key, the operation that could not be linearized, the ones concurrent with it and the longest linearizable prefix; method: check small known-bad histories and inspect the result.
using Xunit;
using Xunit.Abstractions;

namespace KvRaft.Linearizability.Tests;

public sealed class ReportTests(ITestOutputHelper output)
{
    [Fact]
    public void StaleRead_IsReportedWithStuckOperationConcurrentOnesAndPrefix()
    {
        var history = new History()
            .Put(1, "k", "a", 100, 110)
            .Put(1, "k", "b", 120, 130)
            .Get(3, "k", "b", 125, 140)
            .Get(2, "k", "a", 140, 150);
        var result = history.Check();
        output.WriteLine(result.Describe());
        var violation = Assert.Single(result.Violations);
        Assert.Equal("k", violation.Key);
        Assert.Same(history.Operations[3], violation.Stuck);
        Assert.Equal([history.Operations[2]], violation.Concurrent);
        Assert.Equal([history.Operations[0], history.Operations[1], history.Operations[2]], violation.LongestPrefix);
        Assert.Equal("b", violation.StateAfterPrefix);
    }

    [Fact]
    public void Description_ShowsClientOpKeyValuesAndMillisecondsAfterTheFirstCall()
    {
        var result = new History().Put(1, "k", "a", 100, 110).Get(2, "k", "zz", 120, 130).Check();
        var text = result.Describe();
        output.WriteLine(text);
        Assert.Contains("NotLinearizable", text, StringComparison.Ordinal);
        Assert.Contains("client 2 get \"k\" -> \"zz\"  [20.000 .. 30.000 ms] ok", text, StringComparison.Ordinal);
        Assert.Contains("#1 client 1 put \"k\" \"a\"  [0.000 .. 10.000 ms] ok", text, StringComparison.Ordinal);
        Assert.Contains("then value \"a\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LongPrefix_ShowsOnlyItsLastOperations()
    {
        var history = new History();
        for (var i = 0; i < 50; i++)
        {
            history.Put(1, "k", $"v{i}", 10 * i, 10 * i + 5);
        }
        history.Get(2, "k", "v3", 1000, 1010);
        var text = Assert.Single(history.Check().Violations).Describe(prefixShown: 5);
        Assert.Contains("... 45 earlier operations not shown", text, StringComparison.Ordinal);
        Assert.Contains("#50 client 1 put", text, StringComparison.Ordinal);
        Assert.DoesNotContain("#45 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOutcome_IsShownWithoutAReturnTime()
    {
        Operation lost = new(4, OperationKind.Put, "k", "x", null, null, 2_000_000, long.MaxValue, OperationStatus.Unknown);
        Assert.Equal("client 4 put \"k\" \"x\"  [2.000 .. ? ms] unknown outcome", OperationFormatter.Format(lost, 0));
    }
}
