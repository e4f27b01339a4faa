// Goal: the model checks what the API reports beyond the basic outputs (delete's "was it there", a failed cas's current
// value); method: hand-written histories where only that report is right or wrong.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class ReportedResultTests
{
    [Fact]
    public void DeleteReportingAbsent_OfAPresentKey_IsNotLinearizable() =>
        Assert.False(new History().Put(1, "k", "a", 0, 10).DeleteFound(2, "k", false, 20, 30).Check().IsLinearizable);

    [Fact]
    public void DeleteReportingPresent_OfAnAbsentKey_IsNotLinearizable() =>
        Assert.False(new History().DeleteFound(2, "k", true, 20, 30).Check().IsLinearizable);

    [Fact]
    public void DeleteReports_ThatMatchTheState_AreLinearizable() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).DeleteFound(2, "k", true, 20, 30).DeleteFound(3, "k", false, 40, 50).Check().IsLinearizable);

    [Fact]
    public void DeleteReportingPresent_OfAnUnknownPut_KeepsThatPut() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10, OperationStatus.Unknown).DeleteFound(2, "k", true, 20, 30).Check().IsLinearizable);

    [Fact]
    public void FailedCas_ReportingAValueTheKeyNeverHeld_IsNotLinearizable() =>
        Assert.False(new History().Put(1, "k", "a", 0, 10).CasFound(2, "k", "x", "b", "c", 20, 30).Check().IsLinearizable);

    [Fact]
    public void FailedCas_ReportingTheValueHeld_IsLinearizable() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).CasFound(2, "k", "x", "b", "a", 20, 30).Check().IsLinearizable);

    [Fact]
    public void FailedCas_ReportingTheValueOfAnUnknownPut_KeepsThatPut() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).Put(3, "k", "z", 12, 14, OperationStatus.Unknown)
            .CasFound(2, "k", "x", "b", "z", 20, 30).Check().IsLinearizable);
}
