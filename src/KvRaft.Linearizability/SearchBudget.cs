using System.Diagnostics;

namespace KvRaft.Linearizability;

/// <summary>How long one key's search may run: a step limit, a time limit, and cancellation.</summary>
internal sealed class SearchBudget(long maxSteps, TimeSpan timeout, CancellationToken cancellation)
{
    private const int ClockCheckInterval = 4096;
    private readonly long _start = Stopwatch.GetTimestamp();

    public long Steps { get; private set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Counts one step; false once the budget is spent.</summary>
    public bool Spend()
    {
        Steps++;
        if (Steps > maxSteps)
        {
            return false;
        }
        return Steps % ClockCheckInterval != 0
            || (!cancellation.IsCancellationRequested && Elapsed <= timeout);
    }
}
