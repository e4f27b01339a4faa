// Goal: a connection counts as suspect, then silent, only after requests waited through a run of checks without a single read; method: the watch fed check by check.
namespace KvRaft.Client.Tests;

public sealed class SilenceWatchTests
{
    [Fact]
    public void Requests_waiting_through_every_check_without_a_read_make_the_connection_silent()
    {
        var watch = new SilenceWatch(checksMax: 5, suspectChecks: 5);
        Assert.Equal(Quiet.None, watch.Check(receives: 7, pending: 3)); // the first check sets the baseline
        for (var check = 1; check < 5; check++)
        {
            Assert.Equal(Quiet.None, watch.Check(7, 3));
        }

        Assert.Equal(Quiet.Silent, watch.Check(7, 3));
    }

    [Fact]
    public void A_read_or_a_moment_with_nothing_waiting_starts_the_count_again()
    {
        var watch = new SilenceWatch(checksMax: 3, suspectChecks: 3);
        Assert.Equal(Quiet.None, watch.Check(1, 1));
        Assert.Equal(Quiet.None, watch.Check(1, 1));
        Assert.Equal(Quiet.None, watch.Check(1, 1));
        Assert.Equal(Quiet.None, watch.Check(2, 1)); // an answer came: count again
        Assert.Equal(Quiet.None, watch.Check(2, 1));
        Assert.Equal(Quiet.None, watch.Check(2, 1));
        Assert.Equal(Quiet.None, watch.Check(2, 0)); // nothing waited: an idle connection is never silent
        Assert.Equal(Quiet.None, watch.Check(2, 0));
        Assert.Equal(Quiet.None, watch.Check(2, 0));
        Assert.Equal(Quiet.None, watch.Check(2, 0));
        Assert.Equal(Quiet.None, watch.Check(2, 4));
        Assert.Equal(Quiet.None, watch.Check(2, 4));
        Assert.Equal(Quiet.Silent, watch.Check(2, 4));
    }

    [Fact]
    public void Requests_waiting_through_the_suspect_checks_make_the_connection_suspect_until_it_is_silent_or_answers()
    {
        var watch = new SilenceWatch(checksMax: 4, suspectChecks: 2);
        Assert.Equal(Quiet.None, watch.Check(1, 1)); // baseline
        Assert.Equal(Quiet.None, watch.Check(1, 1));
        Assert.Equal(Quiet.Suspect, watch.Check(1, 1));
        Assert.Equal(Quiet.Suspect, watch.Check(1, 1)); // suspect at every check: each may ask around again
        Assert.Equal(Quiet.Silent, watch.Check(1, 1));
        Assert.Equal(Quiet.None, watch.Check(2, 1)); // an answer came
        Assert.Equal(Quiet.None, watch.Check(2, 1));
        Assert.Equal(Quiet.Suspect, watch.Check(2, 1));
    }
}
