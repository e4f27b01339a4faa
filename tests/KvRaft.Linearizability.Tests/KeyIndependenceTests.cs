// Goal: keys are checked independently and each gets its own outcome; method: histories mixing a good and a bad key, and cross-key orders that must not matter.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class KeyIndependenceTests
{
    [Fact]
    public void ViolationOnOneKey_LeavesTheOtherKeysLinearizable()
    {
        var result = new History()
            .Put(1, "good", "a", 0, 10).Get(2, "good", "a", 20, 30)
            .Put(1, "bad", "x", 0, 10).Get(2, "bad", "", 20, 30)
            .Check();
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(Verdict.Linearizable, result.Keys.Single(k => k.Key == "good").Verdict);
        Assert.Equal("bad", Assert.Single(result.Violations).Key);
    }

    [Fact]
    public void SameValuesOnDifferentKeys_DoNotInterfere()
    {
        var result = new History()
            .Put(1, "a", "v", 0, 10)
            .Get(2, "b", "", 20, 30)
            .Put(1, "b", "v", 40, 50)
            .Get(2, "a", "v", 60, 70)
            .Check();
        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(2, result.Keys.Count);
    }

    [Fact]
    public void ManyKeys_AreAllReported_InKeyOrder()
    {
        var history = new History();
        for (var i = 0; i < 100; i++)
        {
            history.Put(i, $"k{i:D3}", "v", i, i + 5).Get(i, $"k{i:D3}", "v", i + 10, i + 15);
        }
        var result = history.Check();
        Assert.True(result.IsLinearizable);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"k{i:D3}"), result.Keys.Select(k => k.Key));
    }
}
