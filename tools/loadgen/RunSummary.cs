// Goal: the figures of a run: throughput, latency percentiles, errors, a 100 ms timeline and each fault's impact.
using HdrHistogram;

namespace KvRaft.Loadgen;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencyProfile(long Count, double P50Milliseconds, double P90Milliseconds, double P99Milliseconds,
    double P999Milliseconds, double MaxMilliseconds)
{
    /// <summary>The profile of the latencies of <paramref name="records"/> (from intended start).</summary>
    public static LatencyProfile Of(IEnumerable<OperationRecord> records)
    {
        var histogram = new LongHistogram(LiveStatistics.HighestMicroseconds, 3);
        foreach (var record in records)
        {
            histogram.RecordValue(Math.Clamp(record.LatencyNanoseconds / 1000, 1, LiveStatistics.HighestMicroseconds));
        }
        if (histogram.TotalCount == 0)
        {
            return new LatencyProfile(0, 0, 0, 0, 0, 0);
        }

        double At(double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
        return new LatencyProfile(histogram.TotalCount, At(50), At(90), At(99), At(99.9), histogram.GetMaxValue() / 1000.0);
    }
}

/// <summary>One 100 ms slice of the run (by completion time).</summary>
public sealed record TimelinePoint(double StartSeconds, double OperationsPerSecond, double P50Milliseconds, double P99Milliseconds, long Errors);

/// <summary>
/// A fault's impact: unavailability (from the fault to the end of the first successful write called once it had taken
/// effect: a write called between a SIGKILL and the exit may still be committed by the dying leader, and would show
/// a few milliseconds), latency 2 s before and after, and the longest stretch of those 2 s after in which no write
/// completed successfully (a stall that the first write after the fault does not show, e.g. a leader that serves
/// a moment longer before it stops).
/// </summary>
public sealed record FaultImpact(string Label, double AtSeconds, double? UnavailableMilliseconds, LatencyProfile Before, LatencyProfile After,
    double LongestWriteGapMilliseconds)
{
    /// <summary>The fault on the wall clock, to join with the nodes' log lines; null when the run took no wall clock.</summary>
    public FaultTimeline? Timeline { get; init; }
}

/// <summary>
/// A fault on the wall clock: when it was done (UTC), and in milliseconds from then: when it had taken effect (a kill:
/// the process reaped; null when at once), the last successful write that returned before it (negative), and the
/// first successful write called once it had taken effect: when it was called and when it returned (the
/// unavailability). With the nodes' log lines (lost peer, no known leader, leader is) these give a kill's phases.
/// </summary>
public sealed record FaultTimeline(DateTime AtUtc, double? TakenEffectMilliseconds, double? LastWriteBeforeMilliseconds,
    double? FirstWriteCalledMilliseconds, double? FirstWriteReturnedMilliseconds);

/// <summary>The summary of a run.</summary>
public sealed record RunSummary(
    double DurationSeconds,
    long Operations,
    long Succeeded,
    long Failed,
    long Unknown,
    double ThroughputPerSecond,
    LatencyProfile Latency,
    IReadOnlyDictionary<string, long> ErrorsByKind,
    IReadOnlyList<TimelinePoint> Timeline,
    IReadOnlyList<FaultImpact> Faults)
{
    private const long SliceNanoseconds = 100_000_000;
    private const long WindowNanoseconds = 2_000_000_000;

    /// <summary>Computes the summary of <paramref name="run"/>.</summary>
    public static RunSummary Of(RunData run)
    {
        OperationRecord[] succeeded = [.. run.Records.Where(r => r.Ok == true)];
        var durationSeconds = (run.EndNanoseconds - run.StartNanoseconds) / 1e9;
        var errors = run.Records.Where(r => r.Error is not null).GroupBy(r => r.Error!)
            .OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => (long)g.LongCount());
        return new RunSummary(durationSeconds, run.Records.Count, succeeded.Length,
            run.Records.Count(r => r.Ok == false), run.Records.Count(r => r.Ok is null),
            succeeded.Length / Math.Max(durationSeconds, 1e-9), LatencyProfile.Of(succeeded), errors,
            Slices(run), [.. run.Faults.Select(fault => Impact(run, succeeded, fault))]);
    }

    private static List<TimelinePoint> Slices(RunData run)
    {
        var count = (int)((run.EndNanoseconds - run.StartNanoseconds) / SliceNanoseconds) + 1;
        var slices = Enumerable.Range(0, count).Select(_ => new List<OperationRecord>()).ToArray();
        foreach (var record in run.Records)
        {
            var index = (record.ReturnNanoseconds - run.StartNanoseconds) / SliceNanoseconds;
            slices[Math.Clamp(index, 0, count - 1)].Add(record);
        }
        return [.. slices.Select((slice, index) =>
        {
            var profile = LatencyProfile.Of(slice.Where(r => r.Ok == true));
            return new TimelinePoint(index * SliceNanoseconds / 1e9, profile.Count * 1e9 / SliceNanoseconds,
                profile.P50Milliseconds, profile.P99Milliseconds, slice.Count(r => r.Ok != true));
        })];
    }

    private static FaultImpact Impact(RunData run, OperationRecord[] succeeded, FaultEvent fault)
    {
        var at = fault.AtNanoseconds;
        var since = Math.Max(at, fault.TakenEffectNanoseconds ?? at);
        var nextWrite = succeeded.Where(r => r.IsWrite && r.CallNanoseconds >= since)
            .Select(r => (OperationRecord?)r).MinBy(r => r!.Value.ReturnNanoseconds); // null when there is none
        var lastWrite = succeeded.Where(r => r.IsWrite && r.ReturnNanoseconds < at).Select(r => (long?)r.ReturnNanoseconds).Max();
        double? FromFault(long? nanoseconds) => (nanoseconds - at) / 1e6;
        return new FaultImpact(fault.Label, (at - run.StartNanoseconds) / 1e9, FromFault(nextWrite?.ReturnNanoseconds),
            LatencyProfile.Of(succeeded.Where(r => r.ReturnNanoseconds >= at - WindowNanoseconds && r.ReturnNanoseconds < at)),
            LatencyProfile.Of(succeeded.Where(r => r.ReturnNanoseconds >= at && r.ReturnNanoseconds < at + WindowNanoseconds)),
            LongestWriteGap(succeeded, at, at + WindowNanoseconds) / 1e6)
        {
            Timeline = run.StartUtc is { } startUtc
                ? new FaultTimeline(startUtc.AddTicks((at - run.StartNanoseconds) / 100), FromFault(fault.TakenEffectNanoseconds),
                    FromFault(lastWrite), FromFault(nextWrite?.CallNanoseconds), FromFault(nextWrite?.ReturnNanoseconds))
                : null,
        };
    }

    /// <summary>The longest interval of [from, to) in which no successful write returned.</summary>
    internal static long LongestWriteGap(IEnumerable<OperationRecord> succeeded, long from, long to)
    {
        var longest = 0L;
        var previous = from;
        foreach (var returned in succeeded.Where(r => r.IsWrite && r.ReturnNanoseconds >= from && r.ReturnNanoseconds < to)
            .Select(r => r.ReturnNanoseconds).Order())
        {
            longest = Math.Max(longest, returned - previous);
            previous = returned;
        }
        return Math.Max(longest, to - previous);
    }
}
