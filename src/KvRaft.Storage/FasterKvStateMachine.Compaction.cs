namespace KvRaft.Storage;

/// <summary>
/// Compaction of the store's log after a snapshot: in the background, never beside a checkpoint or an export (the next
/// snapshot waits for it; an install stops it and waits for it before the store goes). It scans beside the applies, and
/// copies each chunk's live records on a FASTER session of its own under the apply gate: FASTER's conditional copy
/// should be safe beside writes of the same key, but 2 of 8 runs of a test that appends while compaction ran lost a key
/// that way (not understood; FASTER is unmaintained), and under the gate none of 15 did. Reads take the gate too.
/// </summary>
public sealed partial class FasterKvStateMachine
{
    private const int CompactionChunkRecords = 1024; // records per chunk: one hold of the apply gate (an install waits for one at most)

    private CompactionRun? _compaction; // the compaction begun after the last export (set under the apply gate)

    /// <summary>The compaction begun after the last snapshot, until the next snapshot or an install takes it up (null if none).</summary>
    internal Task? Compaction => Volatile.Read(ref _compaction)?.Completion;

    /// <summary>
    /// Begins compacting the log below the snapshot's fold-over address when more than half of what the export read is
    /// dead, unless an install replaced the store meanwhile or a shard export scans it (the next snapshot compacts). Its
    /// checkpoint is durable: the region is immutable.
    /// </summary>
    private void StartCompaction(FasterStore exported, ExportTally tally)
    {
        lock (ApplyGate)
        {
            if (!ReferenceEquals(_store, exported) || !tally.WorthCompacting || _exportScans > 0)
            {
                return;
            }
            _compaction = CompactionRun.Start(run => Compact(exported, tally.UntilAddress, run));
        }
    }

    /// <summary>Waits for the compaction begun after the last snapshot (before the next checkpoint); its failure fails this snapshot.</summary>
    private async Task FinishCompactionAsync()
    {
        if (Volatile.Read(ref _compaction) is not { } run)
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
            Interlocked.CompareExchange(ref _compaction, null, run);
        }
    }

    /// <summary>Compacts [begin, <paramref name="untilAddress"/>) of <paramref name="target"/> a chunk at a time; false when stopped.</summary>
    private bool Compact(FasterStore target, long untilAddress, CompactionRun run)
    {
        var lastAddress = target.LastAddresses(untilAddress);
        var chunk = new List<(byte[] Key, long Address)>(CompactionChunkRecords);
        using var session = target.NewCompactionSession();
        for (var from = target.BeginAddress; from < untilAddress;)
        {
            if (run.Stopped)
            {
                return false;
            }
            chunk.Clear();
            from = target.LiveRecords(lastAddress, from, untilAddress, CompactionChunkRecords, chunk);
            if (!EnterGateUnlessStopped(run))
            {
                return false;
            }
            try
            {
                foreach (var (key, address) in chunk)
                {
                    session.CopyIfLatest(key, address);
                }
                session.Complete();
            }
            finally
            {
                ApplyGate.Exit();
            }
        }
        if (!EnterGateUnlessStopped(run))
        {
            return false;
        }
        try
        {
            target.ShiftBeginAddress(untilAddress); // every live record below it has a copy above it now
        }
        finally
        {
            ApplyGate.Exit();
        }
        return true;
    }

    /// <summary>Takes the apply gate, unless the run is stopped first (an install stops it while it holds the gate).</summary>
    private bool EnterGateUnlessStopped(CompactionRun run)
    {
        while (!run.Stopped)
        {
            if (ApplyGate.TryEnter(10))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Stops a compaction in progress and waits for it to let go of the store (an install or a close).</summary>
    private void StopCompaction()
    {
        if (Interlocked.Exchange(ref _compaction, null) is not { } run)
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
        private volatile bool _stopped;

        private CompactionRun()
        {
        }

        public Task Completion { get; private set; } = Task.CompletedTask;

        public bool Stopped => _stopped;

        public static CompactionRun Start(Func<CompactionRun, bool> work)
        {
            var run = new CompactionRun();
            run.Completion = Task.Run(() => work(run));
            return run;
        }

        public void Stop() => _stopped = true;
    }
}
