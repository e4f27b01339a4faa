// Goal: the election log lines (votes and pre-votes and their answers, sent and received) stay complete during an
// election storm of normal size but are bounded per peer when one peer floods votes, with one "suppressed N" line per
// window; method: one KvNode (PeerNode, voters {1, 2, 3}) with a logger that keeps every line is fed (pre-)votes the way
// the transport hands them over, in logical time (ticks), and its lines are counted per peer.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Tests.Node;

public sealed class ElectionLogBoundTests
{
    private static readonly ServerLimits Limits = new();

    [Fact]
    public void An_election_storm_of_normal_size_is_logged_line_by_line()
    {
        var log = new LineLogger();
        using var node = new PeerNode(id: 2, ownEntries: 5, logger: log);

        for (var term = 2; term < 10; term++) // eight elections in 80 ticks: faster than any real storm (an election timeout is 30 ticks)
        {
            foreach (var candidate in new[] { 3, 1 })
            {
                node.Deliver(node.From(candidate, PeerMessageType.PreVote, term) with { Index = 5, LogTerm = 1 });
                node.Deliver(node.From(candidate, PeerMessageType.Vote, term) with { Index = 5, LogTerm = 1 });
            }
            node.Ticks(10);
        }

        var answersTo3 = node.Sent.Count(m => m.To == 3 && m.Type is PeerMessageType.PreVoteResponse or PeerMessageType.VoteResponse);
        Assert.Equal(16 + answersTo3, log.About(3));
        Assert.True(answersTo3 >= 8, $"{answersTo3} answers to node 3");
        Assert.Equal(0, node.Node.Statistics.ElectionLogLinesSuppressed);
        Assert.Empty(log.Suppressed);
    }

    [Fact]
    public void A_peer_flooding_votes_is_logged_at_most_the_bound_per_window_then_summed_up_in_one_line()
    {
        var log = new LineLogger();
        using var node = new PeerNode(id: 2, ownEntries: 5, logger: log);
        node.FollowLeader1InTerm2(); // a follower with a leader refuses the pre-votes: the flood changes nothing

        for (var i = 0; i < 1_000; i++)
        {
            node.Deliver(node.From(3, PeerMessageType.PreVote, 3) with { Index = 6, LogTerm = 2 });
        }
        node.Deliver(node.From(1, PeerMessageType.PreVoteResponse, 2) with { Reject = true }); // another peer's lines keep their own budget

        Assert.Equal(Limits.ElectionLogLinesPerPeerMax, log.About(3));
        Assert.Equal(1, log.About(1));
        var suppressed = node.Node.Statistics.ElectionLogLinesSuppressed;
        Assert.True(suppressed >= 1_000 - Limits.ElectionLogLinesPerPeerMax, suppressed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(log.Suppressed); // the summary comes when the window ends

        node.Ticks(Limits.ElectionLogWindowTicks);

        var summary = Assert.Single(log.Suppressed);
        Assert.Contains($"suppressed {suppressed} election log lines about node 3", summary, StringComparison.Ordinal);
        node.Ticks(Limits.ElectionLogWindowTicks);
        Assert.Single(log.Suppressed); // once per window
        var before = log.About(3); // with its own campaign's pre-vote to node 3, if it started one
        node.Deliver(node.From(3, PeerMessageType.PreVote, 3) with { Index = 6, LogTerm = 2 });
        Assert.True(log.About(3) > before); // a new window: node 3's lines are logged again
    }

    [Fact]
    public void Peers_beyond_the_tracked_ones_share_one_budget()
    {
        var limiter = new ElectionLogLimiter(linesPerPeerMax: 2, windowTicks: 10, peersMax: 2);
        var ended = new List<ElectionLogLimiter.Suppressed>();

        Assert.True(limiter.TryTake(1, tick: 0, ended));
        Assert.True(limiter.TryTake(2, tick: 0, ended));
        Assert.True(limiter.TryTake(7, tick: 0, ended)); // a third peer: the shared budget
        Assert.True(limiter.TryTake(8, tick: 0, ended));
        Assert.False(limiter.TryTake(9, tick: 0, ended));
        Assert.True(limiter.TryTake(1, tick: 0, ended)); // tracked peers keep their own
        limiter.Flush(tick: 10, ended);

        var summary = Assert.Single(ended);
        Assert.Equal(new ElectionLogLimiter.Suppressed(ElectionLogLimiter.OtherPeers, 1, 10), summary);
    }

    /// <summary>Keeps every line; counts the election lines about one peer.</summary>
    private sealed class LineLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IEnumerable<string> Suppressed => _lines.Where(line => line.Contains("suppressed", StringComparison.Ordinal));

        public int About(int peer) => _lines.Count(line => line.EndsWith($" node {peer}", StringComparison.Ordinal) && line.Contains("Vote", StringComparison.Ordinal));

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Add(formatter(state, exception));
    }
}
