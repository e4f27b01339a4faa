// Goal: the loadgen's parsers, schedule and history file behave as documented.
using KvRaft.Linearizability;

namespace KvRaft.Loadgen.Tests;

public sealed class ToolPartsTests
{
    [Fact]
    public void Fault_list_parses_names_and_times_in_order()
    {
        IReadOnlyList<FaultStep> steps = FaultPlan.Parse("restart@10s,kill-leader@5s,pause-follower@1500ms");
        Assert.Equal([FaultKind.PauseFollower, FaultKind.KillLeader, FaultKind.Restart], steps.Select(s => s.Kind));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), steps[0].At);
    }

    [Fact]
    public void Partition_faults_parse_but_are_refused_as_not_supported_yet()
    {
        IReadOnlyList<FaultStep> steps = FaultPlan.Parse("partition-leader@5s,heal@8s");
        var error = Assert.Throws<NotSupportedException>(() => FaultPlan.EnsureSupported(steps));
        Assert.Contains("not supported yet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chaos_schedule_is_the_same_for_the_same_seed_and_alternates_fault_and_recovery()
    {
        IReadOnlyList<FaultStep> first = ChaosSchedule.Create(42, TimeSpan.FromSeconds(40));
        Assert.Equal(first, ChaosSchedule.Create(42, TimeSpan.FromSeconds(40)));
        Assert.True(first.Count >= 4);
        for (int i = 1; i < first.Count; i += 2) Assert.Contains(first[i].Kind, new[] { FaultKind.Restart, FaultKind.Resume });
    }

    [Fact]
    public void Mix_draws_only_the_kinds_it_names()
    {
        OperationMix mix = OperationMix.Parse("get=1,cas=1");
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
    public void History_file_is_read_by_the_checker_as_written()
    {
        string path = Path.GetTempFileName();
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
}
