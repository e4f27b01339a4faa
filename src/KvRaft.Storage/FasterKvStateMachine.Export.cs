namespace KvRaft.Storage;

/// <summary>
/// A shard export's scan (see <see cref="KvStateMachineBase"/>, "ShardExport"): the store's log from its begin address
/// to the tail as it is when the scan begins, a slice per hold of the apply gate. A compaction never runs beside it (it
/// copies records above that tail and moves the begin address past their originals): the scan waits for one in progress,
/// and none starts while a scan runs (the next snapshot compacts instead). An install that replaces the store meanwhile
/// ends the scan (the export fails; the new owner pulls again).
/// </summary>
public sealed partial class FasterKvStateMachine
{
    private int _exportScans; // scans in progress (under the apply gate): no compaction starts meanwhile

    private protected override UserKeyScan BeginUserKeyScan() => new LogKeyScan(this, _store, _store.BeginAddress, _store.TailAddress);

    private protected override void BeforeExportScan()
    {
        while (true)
        {
            Task? compaction;
            lock (ApplyGate)
            {
                compaction = Volatile.Read(ref _compaction)?.Completion;
                if (compaction is null || compaction.IsCompleted)
                {
                    _exportScans++;
                    return;
                }
            }
            // Its failure is the next snapshot's to report (FinishCompactionAsync): here only its end matters.
            ((IAsyncResult)compaction).AsyncWaitHandle.WaitOne();
        }
    }

    private protected override void AfterExportScan()
    {
        lock (ApplyGate)
        {
            _exportScans--;
        }
    }

    private sealed class LogKeyScan(FasterKvStateMachine owner, FasterStore store, long fromAddress, long untilAddress) : UserKeyScan
    {
        private long _from = fromAddress;

        public override bool Next(int count, List<byte[]> into, out int visited)
        {
            if (!ReferenceEquals(owner._store, store))
            {
                throw new SnapshotSupersededException("a shard export's scan was ended: an install replaced the store it read");
            }
            _from = store.ScanKeys(_from, untilAddress, count, KvKeys.UserSpace, into, out visited);
            return _from < untilAddress;
        }
    }
}
