// Goal: a client whose requests wait on a quiet server (paused, cut off) asks the other servers who leads and moves at
// once to one that leads in the newest term they report, long before the silence timeout; while none leads yet it asks
// again a fiftieth of the silence timeout later; with no such answer it keeps to the silence timeout; a server that leads an older term is not followed; a call pausing (after a round of endpoints
// without a leader, or after a Retryable answer) goes on at once when another call learns of a new leader. Method:
// FakeServers sharing one store, the silence checks and probe deadlines on a FakeTimeProvider advanced by the test (100 ms a check at the 1 s default), and
// ChooseLeader fed answers directly.
using KvRaft.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace KvRaft.Client.Tests;

public sealed class LeaderProbeTests
{
    private static readonly TimeSpan Check = TimeSpan.FromMilliseconds(100); // ConnectionSilenceTimeout (1 s) / 10

    [Fact]
    public async Task A_write_held_by_a_quiet_server_moves_to_the_server_that_leads_now_after_three_quiet_checks_not_the_silence_timeout()
    {
        var time = new FakeTimeProvider();
        var store = new FakeStore();
        await using var paused = new FakeServer(store) { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        await using var leader = new FakeServer(store); // its Status says it leads
        await using var client = KvClient.Connect([paused.Endpoint, leader.Endpoint], Bounded.Options() with { Time = time, OperationTimeout = TimeSpan.FromSeconds(15) });
        var put = client.PutAsync("k", "v");
        await Until(() => paused.SeenOps(ClientOp.Put).Count == 1);
        for (var check = 0; check < 4; check++)
        {
            time.Advance(Check); // a baseline, then three quiet checks: suspect
        }

        await Bounded.Wait(put); // 400 ms of the fake clock: the silence timeout (1 s) never came
        Assert.Equal(1, client.ProbeMoves);
        Assert.Single(leader.SeenOps(ClientOp.Status));
        var held = Assert.Single(paused.SeenOps(ClientOp.Put));
        var retried = Assert.Single(leader.SeenOps(ClientOp.Put));
        Assert.Equal((held.ClientId, held.Sequence), (retried.ClientId, retried.Sequence));
        Assert.Equal(1, store.Applications(retried.ClientId, retried.Sequence));
    }

    [Fact]
    public async Task A_probe_that_finds_no_leader_yet_asks_again_a_fiftieth_of_the_silence_timeout_later_not_a_whole_check_later()
    {
        var time = new FakeTimeProvider();
        var store = new FakeStore();
        var elected = false;
        await using var paused = new FakeServer(store) { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        // Its Status names no leader until the election ends (an answer that is not Ok names none), then itself.
        await using var next = new FakeServer(store)
        {
            Script = request => request.Op == ClientOp.Status && !Volatile.Read(ref elected) ? FakeReply.With(ClientStatus.Retryable) : null,
        };
        await using var client = KvClient.Connect([paused.Endpoint, next.Endpoint], Bounded.Options() with { Time = time, OperationTimeout = TimeSpan.FromSeconds(15) });
        var put = client.PutAsync("k", "v");
        await Until(() => paused.SeenOps(ClientOp.Put).Count == 1);
        for (var check = 0; check < 4; check++)
        {
            time.Advance(Check); // a baseline, then three quiet checks: suspect, a probe asks
        }

        await Until(() => client.ProbeRoundsWithoutLeader == 1); // no leader yet: the probe waits to ask again
        Volatile.Write(ref elected, true);
        time.Advance(Check / 5); // 20 ms: the next round of the same probe, well before the next check
        await Bounded.Wait(put);
        Assert.Equal(1, client.ProbeMoves);
        Assert.Equal(2, next.SeenOps(ClientOp.Status).Count);
        Assert.Single(next.SeenOps(ClientOp.Put));
    }

    [Fact]
    public async Task Without_an_answer_naming_a_leader_the_client_keeps_to_the_silence_timeout()
    {
        var time = new FakeTimeProvider();
        var store = new FakeStore();
        await using var paused = new FakeServer(store) { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        await using var other = new FakeServer(store) { Script = request => request.Op == ClientOp.Status ? FakeReply.Hold : null };
        await using var client = KvClient.Connect([paused.Endpoint, other.Endpoint], Bounded.Options() with { Time = time, OperationTimeout = TimeSpan.FromSeconds(15) });
        var put = client.PutAsync("k", "v");
        await Until(() => paused.SeenOps(ClientOp.Put).Count == 1);
        for (var check = 0; check < 4; check++)
        {
            time.Advance(Check); // a baseline, then three quiet checks: suspect, a probe asks
        }

        await Until(() => other.SeenOps(ClientOp.Status).Count == 1);
        for (var check = 4; check < 11; check++)
        {
            time.Advance(Check); // quiet for 1 s in all: the probes get no answer and time out on this clock
        }

        Assert.False(put.IsCompleted);
        Assert.Equal(0, client.ProbeMoves);
        time.Advance(Check); // the eleventh quiet check: silent, closed, retried on the other server
        await Bounded.Wait(put);
        Assert.Single(other.SeenOps(ClientOp.Put));
    }

    [Fact]
    public async Task A_call_pausing_between_rounds_goes_on_when_another_call_learns_of_a_new_leader()
    {
        var hint = false;
        await using var leader = new FakeServer();
        await using var first = new FakeServer(leader.Store) { Script = request => request.Op == ClientOp.Put ? FakeReply.NotLeader(null) : null };
        await using var second = new FakeServer(leader.Store)
        {
            Script = request => request.Op == ClientOp.Put ? FakeReply.NotLeader(Volatile.Read(ref hint) ? leader.Endpoint : null) : null,
        };
        var pauses = TimeSpan.FromMinutes(10); // far beyond the bounded wait: only the news of a leader ends them in time
        var options = Bounded.Options() with { RetryBackoffMin = pauses, RetryBackoffMax = pauses, OperationTimeout = TimeSpan.FromMinutes(30) };
        await using var client = KvClient.Connect([first.Endpoint, second.Endpoint], options);
        var paused = client.PutAsync("a", "1");
        await Until(() => second.SeenOps(ClientOp.Put).Count == 1); // a round of both endpoints without a leader: it pauses
        Volatile.Write(ref hint, true);
        await Bounded.Wait(client.PutAsync("b", "2")); // learns of the leader from the second server's hint
        await Bounded.Wait(paused);
        Assert.Equal("1", leader.Store.Value("a"));
    }

    [Fact]
    public async Task A_call_pausing_after_a_Retryable_answer_goes_on_when_another_call_learns_of_a_new_leader()
    {
        await using var leader = new FakeServer();
        // A leader that just handed over: what it had proposed is Retryable ("leadership lost"), what comes next NotLeader.
        await using var former = new FakeServer(leader.Store)
        {
            Script = request => request.Op != ClientOp.Put ? null
                : request.Key.Span.SequenceEqual("a"u8) ? FakeReply.With(ClientStatus.Retryable) : FakeReply.NotLeader(leader.Endpoint),
        };
        var pauses = TimeSpan.FromMinutes(10); // far beyond the bounded wait: only the news of a leader ends them in time
        var options = Bounded.Options() with { RetryBackoffMin = pauses, RetryBackoffMax = pauses, OperationTimeout = TimeSpan.FromMinutes(30) };
        await using var client = KvClient.Connect([former.Endpoint, leader.Endpoint], options);
        var paused = client.PutAsync("a", "1");
        await Until(() => former.SeenOps(ClientOp.Put).Count == 1); // answered Retryable: it pauses
        await Bounded.Wait(client.PutAsync("b", "2")); // learns of the leader from the former leader's hint
        await Bounded.Wait(paused);
        Assert.Equal("1", leader.Store.Value("a"));
    }

    [Fact]
    public void The_leader_followed_is_the_one_of_the_newest_term_reported_and_a_stale_leader_is_not()
    {
        static (string, NodeStatus?) Answer(string endpoint, NodeRole role, long term) => (endpoint, new NodeStatus { Role = role, Term = term });
        Assert.Equal("b", Cluster.ChooseLeader([Answer("a", NodeRole.Follower, 6), Answer("b", NodeRole.Leader, 6)]));
        Assert.Null(Cluster.ChooseLeader([Answer("a", NodeRole.Leader, 5), Answer("b", NodeRole.Follower, 6)])); // a's term is over
        Assert.Equal("b", Cluster.ChooseLeader([Answer("a", NodeRole.Leader, 5), Answer("b", NodeRole.Leader, 7), ("c", null)]));
        Assert.Null(Cluster.ChooseLeader([Answer("a", NodeRole.Candidate, 8), ("b", null)]));
        Assert.Null(Cluster.ChooseLeader([]));
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bounded.Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Yield();
        }
    }
}
