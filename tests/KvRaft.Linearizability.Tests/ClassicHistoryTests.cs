// Goal: the checker agrees with hand-worked verdicts on classic small histories; method: build each history by hand and compare the verdict.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class ClassicHistoryTests
{
    private const OperationStatus Unknown = OperationStatus.Unknown;
    private const OperationStatus Failed = OperationStatus.Failed;

    [Fact]
    public void EmptyHistory_IsLinearizable() =>
        Assert.True(new History().Check().IsLinearizable);

    [Fact]
    public void ReadOfAbsentKey_SeesEmptyString() =>
        Assert.True(new History().Get(1, "k", "", 0, 1).Check().IsLinearizable);

    [Fact]
    public void ReadAfterCompletedWrite_SeeingIt_IsLinearizable() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).Get(2, "k", "a", 20, 30).Check().IsLinearizable);

    [Fact]
    public void StaleReadAfterCompletedWrite_IsNotLinearizable()
    {
        var result = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(1, "k", "b", 20, 30)
            .Get(2, "k", "a", 40, 50)
            .Check();
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
    }

    [Fact]
    public void ReadConcurrentWithWrite_MaySeeOldOrNew()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(1, "k", "b", 20, 60)
            .Get(2, "k", "a", 25, 30)
            .Get(3, "k", "b", 30, 35);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void ReadSeeingNewThenLaterReadSeeingOld_IsNotLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(1, "k", "b", 20, 60)
            .Get(2, "k", "b", 25, 30)
            .Get(3, "k", "a", 35, 40);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void ConcurrentPuts_ReadersSeeingThemInOppositeOrders_IsNotLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 100)
            .Put(2, "k", "b", 0, 100)
            .Get(3, "k", "a", 10, 20).Get(3, "k", "b", 30, 40)
            .Get(4, "k", "b", 10, 20).Get(4, "k", "a", 30, 40);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void ConcurrentPuts_ReadersSeeingThemInTheSameOrder_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 100)
            .Put(2, "k", "b", 0, 100)
            .Get(3, "k", "a", 10, 20).Get(3, "k", "b", 30, 40)
            .Get(4, "k", "a", 10, 20).Get(4, "k", "b", 30, 40);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void AppendToAbsentKey_CreatesIt() =>
        Assert.True(new History().Append(1, "k", "x", 0, 10).Get(2, "k", "x", 20, 30).Check().IsLinearizable);

    [Fact]
    public void ConcurrentAppends_ReadInOneOrder_IsLinearizable()
    {
        var history = new History()
            .Append(1, "k", "a", 0, 100)
            .Append(2, "k", "b", 0, 100)
            .Get(3, "k", "ba", 110, 120)
            .Get(4, "k", "ba", 130, 140);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void ConcurrentAppends_ReadInBothOrders_IsNotLinearizable()
    {
        var history = new History()
            .Append(1, "k", "a", 0, 100)
            .Append(2, "k", "b", 0, 100)
            .Get(3, "k", "ab", 110, 120)
            .Get(4, "k", "ba", 130, 140);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void SequentialAppends_ReadOutOfOrder_IsNotLinearizable()
    {
        var history = new History()
            .Append(1, "k", "a", 0, 10)
            .Append(1, "k", "b", 20, 30)
            .Get(2, "k", "ba", 40, 50);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void DeleteThenGet_SeesAbsent_IsLinearizable() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).Delete(1, "k", 20, 30).Get(2, "k", "", 40, 50).Check().IsLinearizable);

    [Fact]
    public void DeleteThenGet_SeesDeletedValue_IsNotLinearizable()
    {
        var history = new History().Put(1, "k", "a", 0, 10).Delete(1, "k", 20, 30).Get(2, "k", "a", 40, 50);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void UnknownOutcomeWrite_SeenLater_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "b", 20, 30, Unknown)
            .Get(3, "k", "a", 40, 50)
            .Get(3, "k", "b", 500, 510);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnknownOutcomeWrite_NeverSeen_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "b", 20, 30, Unknown)
            .Get(3, "k", "a", 40, 50)
            .Get(3, "k", "a", 500, 510);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnknownOutcomeWrite_SeenThenUnseen_IsNotLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "b", 20, 30, Unknown)
            .Get(3, "k", "b", 40, 50)
            .Get(3, "k", "a", 60, 70);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void UnknownOutcomeWrite_SeenBeforeItsCall_IsNotLinearizable()
    {
        var history = new History()
            .Get(3, "k", "b", 0, 10)
            .Put(2, "k", "b", 20, 30, Unknown);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void FailedWrite_SeenByRead_IsNotLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "b", 20, 30, Failed)
            .Get(3, "k", "b", 40, 50);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void UnknownOutcomeGet_IsIgnored() =>
        Assert.True(new History().Put(1, "k", "a", 0, 10).Get(2, "k", "nonsense", 20, 30, Unknown).Check().IsLinearizable);

    [Fact]
    public void ManyUnknownWritesNeverSeen_AreLeftOut()
    {
        var history = new History().Put(1, "k", "a", 0, 10);
        for (var i = 0; i < 40; i++)
        {
            history.Put(2 + i, "k", $"lost-{i}", 20 + i, 30 + i, Unknown);
        }
        history.Get(1, "k", "a", 1000, 1010);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnseenUnknownWrite_NeededByAFailedCas_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "e", 0, 10)
            .Put(2, "k", "v", 20, 30, Unknown)
            .Cas(3, "k", "e", "x", false, 40, 50);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnknownWrite_SeenOnlyThroughAnUnknownCas_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "v", 20, 30, Unknown)
            .Cas(3, "k", "v", "c", null, 40, 50)
            .Get(4, "k", "c", 60, 70);
        Assert.True(history.Check().IsLinearizable);
    }

    [Fact]
    public void UnknownWrite_SeenExactly_MustPrecedeLaterReads()
    {
        var history = new History()
            .Put(1, "k", "a", 0, 10)
            .Put(2, "k", "v", 20, 30, Unknown)
            .Get(3, "k", "v", 40, 50)
            .Put(1, "k", "b", 60, 70)
            .Get(3, "k", "b", 80, 90)
            .Get(4, "k", "v", 100, 110);
        Assert.Equal(Verdict.NotLinearizable, history.Check().Verdict);
    }

    [Fact]
    public void UnknownPutOfAValueAlsoBuiltByAppends_IsLinearizable()
    {
        var history = new History()
            .Put(1, "k", "x", 0, 10)
            .Append(1, "k", "y", 20, 30)
            .Put(2, "k", "xy", 35, 36, Unknown)
            .Get(3, "k", "xy", 40, 50)
            .Delete(1, "k", 60, 70)
            .Get(3, "k", "", 80, 90);
        Assert.True(history.Check().IsLinearizable);
    }
}
