namespace KvRaft.Storage;

/// <summary>
/// Compaction of the store's log after a snapshot: in the background, beside the applies, never beside a checkpoint
/// or an export (the next snapshot waits for it; an install cancels it and waits for it before the store goes).
/// </summary>
public sealed partial class FasterKvStateMachine
{
    private CompactionRun? compaction; // the compaction begun after the last export (set under the apply gate)

    /// <summary>The compaction begun after the last snapshot, until the next snapshot or an install takes it up (null if none).</summary>
    internal Task? Compaction => Volatile.Read(ref compaction)?.Completion;

    /// <summary>
    /// Begins compacting the log below the snapshot's fold-over address when more than half of what the export read is
    /// dead, unless an install replaced the store meanwhile. Its checkpoint is durable: the region is immutable.
    /// </summary>
    private void StartCompaction(FasterStore exported, ExportTally tally)
    {
        lock (ApplyGate)
        {
            if (!ReferenceEquals(store, exported) || !tally.WorthCompacting)
            {
                return;
            }
            compaction = CompactionRun.Start(exported, tally.UntilAddress);
        }
    }

    /// <summary>Waits for the compaction begun after the last snapshot (before the next checkpoint); its failure fails this snapshot.</summary>
    private async Task FinishCompactionAsync()
    {
        if (Volatile.Read(ref compaction) is not { } run)
        {
            return;
        }
        try
        {
            await run.Completion.ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or FASTER.core.FasterException)
        {
            throw new StorageFailedException($"Compaction of the state machine's log failed: {error.Message}", error);
        }
        finally
        {
            Interlocked.CompareExchange(ref compaction, null, run);
        }
    }

    /// <summary>Stops a compaction in progress and waits for it to let go of the store (an install or a close).</summary>
    private void StopCompaction()
    {
        if (Interlocked.Exchange(ref compaction, null) is not { } run)
        {
            return;
        }
        run.Stop();
        try
        {
            run.Completion.GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or FASTER.core.FasterException)
        {
            // The store it compacted goes now: nothing lost (the begin address moves only over records copied).
        }
    }

    /// <summary>One compaction on a background thread; <see cref="Stop"/> ends it at its next chunk.</summary>
    private sealed class CompactionRun
    {
        private volatile bool stopped;

        private CompactionRun()
        {
        }

        public Task Completion { get; private set; } = Task.CompletedTask;

        public static CompactionRun Start(FasterStore target, long untilAddress)
        {
            var run = new CompactionRun();
            run.Completion = Task.Run(() => target.Compact(untilAddress, () => run.stopped));
            return run;
        }

        public void Stop() => stopped = true;
    }
}
