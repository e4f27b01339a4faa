// Goal: the log lines bench/kill-timeline.sh reads to split a failover into phases: a new leader logs "first commit as
// leader" once in its term, after its own "leader is node" line for that term, and no node logs it for a term it did
// not lead; method: in-process KvServer nodes on 127.0.0.1 (HostedCluster) logging to a TestLog, two acknowledged
// writes in a row (the second is proposed in a turn after the first was answered, so after the turn that logged the
// leader's first commit), then the lines are read back.
using System.Text.RegularExpressions;
using KvRaft.Server.Tests.Cluster;

namespace KvRaft.Server.Tests.Hosting;

public sealed partial class FailoverLogTests
{
    private const int ElectionTicks = 200; // 2 s at 10 ms a tick: a loaded machine does not make the leader change meanwhile

    [Fact]
    public async Task A_new_leader_logs_its_first_commit_once_in_its_term_after_it_logged_its_leadership()
    {
        var log = new TestLog();
        using var loggers = log.CreateFactory();
        await using var cluster = await HostedCluster.StartAsync(3, loggers, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("k", "1").WaitAsync(HostedCluster.Limit);
        await cluster.Client.PutAsync("k", "2").WaitAsync(HostedCluster.Limit);
        var term = (await cluster.WaitForStatusAsync(leader, _ => true)).Term;

        var lines = log.Dump().Split('\n');
        var firstCommits = lines.Select((line, index) => (Match: FirstCommitLine().Match(line), Index: index)).Where(hit => hit.Match.Success)
            .Select(hit => (Node: hit.Match.Groups[1].Value, Term: hit.Match.Groups[2].Value, hit.Index)).ToList();

        Assert.Single(firstCommits, commit => commit.Node == $"{leader}" && commit.Term == $"{term}");
        Assert.Equal(firstCommits.Count, firstCommits.Select(commit => (commit.Node, commit.Term)).Distinct().Count()); // once per term
        foreach (var commit in firstCommits)
        {
            var leadership = Array.FindIndex(lines, line => line.Contains($"Node {commit.Node}: leader is node {commit.Node} in term {commit.Term}", StringComparison.Ordinal));
            Assert.True(leadership >= 0 && leadership < commit.Index, $"node {commit.Node} logged a first commit in term {commit.Term} without leading it first:\n{log.Dump()}");
        }
    }

    [GeneratedRegex(@"Node (\d+): first commit as leader in term (\d+), index \d+")]
    private static partial Regex FirstCommitLine();
}
