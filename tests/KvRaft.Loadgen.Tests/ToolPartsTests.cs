// Goal: the loadgen's parsers, schedule and history file behave as documented.
using KvRaft.Linearizability;

namespace KvRaft.Loadgen.Tests;

public sealed class ToolPartsTests
{
    [Fact]
    public void Fault_list_parses_names_and_times_in_order()
    {
        var steps = FaultPlan.Parse("restart@10s,kill-leader@5s,pause-follower@1500ms");
        Assert.Equal([FaultKind.PauseFollower, FaultKind.KillLeader, FaultKind.Restart], steps.Select(s => s.Kind));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), steps[0].At);
    }

    [Fact]
    public void Partition_faults_parse_and_ask_for_link_relays()
    {
        var steps = FaultPlan.Parse("partition-leader@5s,heal@8s,partition-follower@9s,heal@10s");
        Assert.Equal([FaultKind.PartitionLeader, FaultKind.Heal, FaultKind.PartitionFollower, FaultKind.Heal], steps.Select(s => s.Kind));
        Assert.True(FaultPlan.NeedsLinkRelays(steps));
        Assert.False(FaultPlan.NeedsLinkRelays(FaultPlan.Parse("kill-leader@5s,restart@9s")));
    }

    [Fact]
    public void Membership_faults_parse_and_reserve_one_spare_node_per_node_they_add()
    {
        var steps = FaultPlan.Parse("add-learner@1s,promote@2s,remove-follower@3s,remove-leader@4s,replace-follower@5s,add-learner@6s");
        Assert.Equal([FaultKind.AddLearner, FaultKind.Promote, FaultKind.RemoveFollower, FaultKind.RemoveLeader, FaultKind.ReplaceFollower, FaultKind.AddLearner],
            steps.Select(s => s.Kind));
        Assert.Equal(3, FaultPlan.SpareNodesNeeded(steps));
        Assert.False(FaultPlan.NeedsLinkRelays(steps));
        Assert.Equal(0, FaultPlan.SpareNodesNeeded(FaultPlan.Parse("kill-leader@5s,restart@9s")));
    }

    [Fact]
    public void Shard_faults_parse_and_need_a_sharded_cluster()
    {
        var steps = FaultPlan.Parse("rebalance@3s,move-shard@1s,rebalance@5s");
        Assert.Equal([FaultKind.MoveShard, FaultKind.Rebalance, FaultKind.Rebalance], steps.Select(s => s.Kind));
        Assert.Equal("move-shard", steps[0].Name);
        Assert.True(FaultPlan.NeedsShards(steps));
        Assert.False(FaultPlan.NeedsShards(FaultPlan.Parse("kill-leader@5s,restart@9s")));
        Assert.Equal(0, FaultPlan.SpareNodesNeeded(steps));
    }

    [Fact]
    public void Chaos_schedule_is_the_same_for_the_same_seed_and_alternates_fault_and_its_recovery()
    {
        var first = ChaosSchedule.Create(42, TimeSpan.FromSeconds(60));
        Assert.Equal(first, ChaosSchedule.Create(42, TimeSpan.FromSeconds(60)));
        Assert.True(first.Count >= 6);
        for (var i = 0; i + 1 < first.Count; i += 2)
        {
            Assert.Equal(ChaosSchedule.RecoveryOf(first[i].Kind), first[i + 1].Kind);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(42)]
    [InlineData(1234)]
    public void Chaos_schedule_has_kills_pauses_and_partitions(int seed)
    {
        FaultKind[] kinds = [.. ChaosSchedule.Create(seed, TimeSpan.FromSeconds(60)).Select(s => s.Kind)];
        Assert.Contains(FaultKind.Restart, kinds);
        Assert.Contains(FaultKind.Resume, kinds);
        Assert.Contains(FaultKind.Heal, kinds);
    }

    [Fact]
    public void Acknowledged_writes_expect_what_no_later_write_can_erase()
    {
        OperationRecord[] records =
        [
            new(0, OperationKind.Put, "a", "v-0-1", null, null, 10, 10, 20, true, null),
            new(1, OperationKind.Append, "a", "v-1-1", null, null, 30, 30, 40, true, null),
            new(2, OperationKind.Put, "b", "v-2-1", null, null, 10, 10, 20, true, null),
            new(3, OperationKind.Put, "b", "v-3-1", null, null, 15, 15, 25, null, "KvOutcomeUnknownException"),
            new(0, OperationKind.Put, "c", "v-0-2", null, null, 50, 50, 60, true, null),
            new(1, OperationKind.Cas, "c", "v-1-2", "other", "false", 70, 70, 80, true, null),
            new(2, OperationKind.Put, "d", "v-2-2", null, null, 50, 50, 60, false, "KvNotAppliedException"),
        ];
        var expectations = AcknowledgedWrites.Expectations(records);
        Assert.Equal(
            [("a", "v-0-1", false), ("a", "v-1-1", false), ("c", "v-0-2", true)],
            expectations.Select(e => (e.Key, e.Value, e.Exact)).OrderBy(e => e.Key).ThenBy(e => e.Value));
        Assert.True(AcknowledgedWrites.Expectations(records.Take(1)).Single().Exact);
    }

    [Fact]
    public void Mix_draws_only_the_kinds_it_names()
    {
        var mix = OperationMix.Parse("get=1,cas=1");
        var random = new Random(1);
        Assert.All(Enumerable.Range(0, 1000).Select(_ => mix.Pick(random)), kind => Assert.Contains(kind, new[] { OperationKind.Get, OperationKind.Cas }));
    }

    [Fact]
    public void Keys_are_sixteen_bytes()
    {
        Assert.Equal(16, KeyChooser.Name(42).Length);
        Assert.Equal("k000000000000042", KeyChooser.Name(42));
    }

    [Fact]
    public void Cached_key_names_are_the_names()
    {
        var keys = new KeyChooser(1000, KeyDistribution.Uniform);
        Assert.All(new[] { 0, 7, 999, 7 }, index => Assert.Equal(KeyChooser.Name(index), keys.NameOf(index)));
        Assert.Same(keys.NameOf(7), keys.NameOf(7));
        Assert.Equal(KeyChooser.Name(4_999_999), new KeyChooser(5_000_000, KeyDistribution.Uniform).NameOf(4_999_999)); // too many keys to cache
    }

    [Fact]
    public void Values_are_unique_and_padded_to_the_value_size()
    {
        Assert.Equal("v-3-12" + new string('.', 94), LoadClient.ValueOf(3, 12, 100));
        Assert.Equal("v-123-4567890", LoadClient.ValueOf(123, 4_567_890, 4)); // longer than the size: not cut
        Assert.Equal("v-0-9", LoadClient.ValueOf(0, 9, 5));
        Assert.Equal("v-0-10", LoadClient.ValueOf(0, 10, 5));
    }

    [Fact]
    public void Values_and_keys_sent_as_bytes_are_the_UTF8_of_their_text()
    {
        var buffer = new byte[200];
        foreach (var (client, sequence, size) in new[] { (3, 12L, 100), (123, 4_567_890L, 4), (0, 9L, 5), (0, 10L, 5) })
        {
            var length = LoadClient.ValueBytesOf(client, sequence, size, buffer);
            Assert.Equal(LoadClient.ValueOf(client, sequence, size), System.Text.Encoding.UTF8.GetString(buffer, 0, length));
        }
        var keys = new KeyChooser(1000, KeyDistribution.Uniform);
        Assert.Equal(KeyChooser.Name(7), System.Text.Encoding.UTF8.GetString(keys.NameBytesOf(7)));
        Assert.Same(keys.NameBytesOf(7), keys.NameBytesOf(7));
        Assert.Equal(KeyChooser.Name(4_999_999), System.Text.Encoding.UTF8.GetString(new KeyChooser(5_000_000, KeyDistribution.Uniform).NameBytesOf(4_999_999)));
    }

    [Fact]
    public void Record_log_keeps_every_record_in_order_across_chunks()
    {
        var log = new RecordLog<int>();
        Assert.Empty(log);
        const int count = (RecordLog<int>.ChunkLengthMax * 3) + 5; // the growing chunks, then several of the largest
        for (var i = 0; i < count; i++)
        {
            log.Add(i);
        }

        Assert.Equal(count, log.Count);
        Assert.Equal(Enumerable.Range(0, count), log);
    }

    [Fact]
    public void History_file_is_read_by_the_checker_as_written()
    {
        var path = Path.GetTempFileName();
        try
        {
            OperationRecord[] records =
            [
                new(0, OperationKind.Put, "k", "v-0-1", null, null, 10, 10, 20, true, null),
                new(1, OperationKind.Cas, "k", "v-1-1", "v-0-1", "true", 30, 30, 40, true, null),
                new(2, OperationKind.Get, "k", null, null, null, 35, 35, 45, null, "KvOutcomeUnknownException"),
                new(0, OperationKind.Get, "k", null, null, "v-1-1", 50, 50, 60, true, null),
            ];
            HistoryFile.Write(path, records);
            Assert.Equal(records.Select(r => r.ToOperation()).OrderBy(o => o.CallNanoseconds),
                HistoryReader.ReadFile(path).Select(o => o with { Line = 0 }));
            Assert.True(HistoryChecker.CheckFile(path).IsLinearizable);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_kills_unavailability_counts_from_the_signal_to_the_first_write_called_after_the_process_exited()
    {
        const long Millisecond = 1_000_000, Start = 0, Kill = 5_000 * Millisecond, Exited = Kill + 20 * Millisecond;
        OperationRecord Write(long call, long returned) => new(0, OperationKind.Put, "k", "v", null, null, call, call, returned, true, null);
        var run = new RunData(new LoadSettings(), Start, 10_000 * Millisecond,
            [
                Write(Kill - 5 * Millisecond, Kill + 2 * Millisecond), // answered by the leader before it died
                Write(Kill + 8 * Millisecond, Kill + 12 * Millisecond), // called after the signal, committed before the exit
                Write(Exited + 1 * Millisecond, Kill + 430 * Millisecond), // the first one the next leader answered
                Write(Exited + 100 * Millisecond, Kill + 450 * Millisecond),
            ],
            [new FaultEvent("kill-leader n1", Kill, Exited), new FaultEvent("pause-follower n2", Kill)]);
        var summary = RunSummary.Of(run);
        Assert.Equal(430, summary.Faults[0].UnavailableMilliseconds);
        Assert.Equal(12, summary.Faults[1].UnavailableMilliseconds); // no exit to wait for: from the signal
    }

    [Fact]
    public void A_kills_timeline_places_the_signal_on_the_wall_clock_with_the_exit_and_the_writes_around_it_in_milliseconds()
    {
        const long Millisecond = 1_000_000, Start = 1_000 * Millisecond, Kill = Start + 5_000 * Millisecond, Exited = Kill + 20 * Millisecond;
        OperationRecord Write(long call, long returned) => new(0, OperationKind.Put, "k", "v", null, null, call, call, returned, true, null);
        var startUtc = new DateTime(2026, 12, 7, 21, 0, 0, DateTimeKind.Utc);
        var run = new RunData(new LoadSettings(), Start, Start + 10_000 * Millisecond,
            [
                Write(Kill - 9 * Millisecond, Kill - 3 * Millisecond), // the last write before the signal
                Write(Kill + 8 * Millisecond, Kill + 12 * Millisecond), // called before the exit: not the first after
                Write(Exited + 50 * Millisecond, Kill + 300 * Millisecond),
                Write(Exited + 1 * Millisecond, Kill + 310 * Millisecond),
            ],
            [new FaultEvent("kill-leader n1", Kill, Exited)])
        { StartUtc = startUtc };
        var summary = RunSummary.Of(run);
        Assert.Equal(new FaultTimeline(startUtc.AddSeconds(5), 20, -3, 70, 300), summary.Faults[0].Timeline);
        var localTime = startUtc.AddSeconds(5).ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture); // as the nodes log
        Assert.Contains($"| {localTime} | kill-leader n1 | 20.00 | -3.00 | 70.00 | 300.00 |", ResultFiles.Markdown(summary), StringComparison.Ordinal);
        Assert.Null(RunSummary.Of(run with { StartUtc = null }).Faults[0].Timeline);
    }

    [Fact]
    public void A_faults_longest_write_gap_is_the_longest_stretch_without_a_completed_write_in_the_2_s_after_it()
    {
        const long Millisecond = 1_000_000, Stop = 5_000 * Millisecond;
        OperationRecord Write(long returned) => new(0, OperationKind.Put, "k", "v", null, null, Stop, Stop, returned, true, null);
        OperationRecord Read(long returned) => new(0, OperationKind.Get, "k", null, null, "v", Stop, Stop, returned, true, null);
        var run = new RunData(new LoadSettings(), 0, 10_000 * Millisecond,
            [
                Write(Stop + 3 * Millisecond), // served by the leader before it handed over: the first write after the fault
                Read(Stop + 700 * Millisecond), // reads do not end a write gap
                Write(Stop + 1_203 * Millisecond), // 1,200 ms without a write
                Write(Stop + 1_500 * Millisecond),
            ],
            [new FaultEvent("stop-leader n1", Stop)]);
        var fault = RunSummary.Of(run).Faults[0];
        Assert.Equal(3, fault.UnavailableMilliseconds);
        Assert.Equal(1_200, fault.LongestWriteGapMilliseconds);
        Assert.Equal(2_000, RunSummary.LongestWriteGap([], 0, 2_000 * Millisecond) / 1e6); // no write at all: the whole window
    }
}
