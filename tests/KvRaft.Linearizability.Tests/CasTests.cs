// Goal: the cas extension follows compare-and-swap semantics ("" = absent); method: hand-written histories with known verdicts.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class CasTests
{
    [Fact]
    public void CasOnAbsentKey_WithEmptyExpected_Swaps() =>
        Assert.True(new History().Cas(1, "k", "", "a", true, 0, 10).Get(2, "k", "a", 20, 30).Check().IsLinearizable);

    [Fact]
    public void CasWithMatchingExpected_ReportedUnswapped_IsNotLinearizable() =>
        Assert.False(new History().Put(1, "k", "a", 0, 10).Cas(2, "k", "a", "b", false, 20, 30).Check().IsLinearizable);

    [Fact]
    public void CasWithStaleExpected_ReportedSwapped_IsNotLinearizable() =>
        Assert.False(new History().Put(1, "k", "a", 0, 10).Cas(2, "k", "x", "b", true, 20, 30).Check().IsLinearizable);

    [Fact]
    public void FailedCas_LeavesValue() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).Cas(2, "k", "x", "b", false, 20, 30).Get(3, "k", "a", 40, 50).Check().IsLinearizable);

    [Fact]
    public void ConcurrentCas_OnlyOneCanWin()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Cas(2, "k", "a", "b", true, 20, 100)
            .Cas(3, "k", "a", "c", true, 20, 100);
        Assert.False(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnknownCas_MayOrMayNotTakeEffect()
    {
        var seen = new History().Put(1, "k", "a", 0, 10).Cas(2, "k", "a", "b", null, 20, 30).Get(3, "k", "b", 40, 50);
        var unseen = new History().Put(1, "k", "a", 0, 10).Cas(2, "k", "a", "b", null, 20, 30).Get(3, "k", "a", 40, 50);
        Assert.True(seen.Check().IsLinearizable);
        Assert.True(unseen.Check().IsLinearizable);
    }
}
