// Goal: cheap counters for the live progress line (ops/s, p99, errors over the last interval).
using HdrHistogram;

namespace KvRaft.Loadgen;

/// <summary>Interval counters shared by all clients; <see cref="TakeInterval"/> reads and resets them.</summary>
public sealed class LiveStatistics
{
    private readonly Lock _gate = new();
    private LongHistogram _latencyMicroseconds = NewHistogram();
    private long _completed;
    private long _errors;

    /// <summary>Counts one ended operation.</summary>
    public void Record(long latencyNanoseconds, bool succeeded)
    {
        lock (_gate)
        {
            if (succeeded)
            {
                _completed++;
                _latencyMicroseconds.RecordValue(Math.Clamp(latencyNanoseconds / 1000, 1, HighestMicroseconds));
            }
            else
            {
                _errors++;
            }
        }
    }

    /// <summary>Completed operations, errors and p99 (ms) since the last call.</summary>
    public (long Completed, long Errors, double P99Milliseconds) TakeInterval()
    {
        LongHistogram taken;
        long completed, errors;
        lock (_gate)
        {
            (taken, _latencyMicroseconds) = (_latencyMicroseconds, NewHistogram());
            (completed, errors) = (_completed, _errors);
            (_completed, _errors) = (0, 0);
        }
        var p99Milliseconds = taken.TotalCount == 0 ? 0 : taken.GetValueAtPercentile(99) / 1000.0;
        return (completed, errors, p99Milliseconds);
    }

    internal const long HighestMicroseconds = 3_600_000_000;

    private static LongHistogram NewHistogram() => new(HighestMicroseconds, 2);
}
