// Goal: a connection counts as silent only after requests waited through a whole run of checks without a single read; method: the watch fed check by check.
namespace KvRaft.Client.Tests;

public sealed class SilenceWatchTests
{
    [Fact]
    public void Requests_waiting_through_every_check_without_a_read_make_the_connection_silent()
    {
        var watch = new SilenceWatch(checksMax: 5);
        Assert.False(watch.IsSilent(receives: 7, pending: 3)); // the first check sets the baseline
        for (var check = 1; check < 5; check++)
        {
            Assert.False(watch.IsSilent(7, 3));
        }

        Assert.True(watch.IsSilent(7, 3));
    }

    [Fact]
    public void A_read_or_a_moment_with_nothing_waiting_starts_the_count_again()
    {
        var watch = new SilenceWatch(checksMax: 3);
        Assert.False(watch.IsSilent(1, 1));
        Assert.False(watch.IsSilent(1, 1));
        Assert.False(watch.IsSilent(1, 1));
        Assert.False(watch.IsSilent(2, 1)); // an answer came: count again
        Assert.False(watch.IsSilent(2, 1));
        Assert.False(watch.IsSilent(2, 1));
        Assert.False(watch.IsSilent(2, 0)); // nothing waited: an idle connection is never silent
        Assert.False(watch.IsSilent(2, 0));
        Assert.False(watch.IsSilent(2, 0));
        Assert.False(watch.IsSilent(2, 0));
        Assert.False(watch.IsSilent(2, 4));
        Assert.False(watch.IsSilent(2, 4));
        Assert.True(watch.IsSilent(2, 4));
    }
}
