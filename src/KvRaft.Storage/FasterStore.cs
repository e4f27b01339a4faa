using System.Buffers;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// One FasterKV&lt;SpanByte, SpanByte&gt; in a folder with ONE long-lived client session: every read and write
/// of the state machine goes through that session's unsafe context. A whole batch is one pass of it: one epoch
/// entry (<see cref="BeginBatch"/> .. <see cref="EndBatch"/>) rather than one per operation; an operation outside a
/// batch enters and leaves the epoch itself, as FASTER's plain session would. Compaction (see
/// FasterStore.Compaction.cs) runs on sessions of its own.
/// </summary>
internal sealed unsafe partial class FasterStore : IDisposable
{
    private readonly IFileSystem _files;
    private readonly string _directory;
    private readonly HeldTruncationDevice _device; // deletes a segment only once a checkpoint that no longer needs it is durable
    private readonly DeviceLogCommitCheckpointManager _checkpoints;
    private readonly FasterKV<SpanByte, SpanByte> _store;
    // The context of a read is its token: 0 for a read that waits (applies, loading), else a Get that may go pending.
    private readonly ClientSession<SpanByte, SpanByte, SpanByte, ArrayBufferWriter<byte>, long, ValueCopyFunctions> _session;
    private readonly UnsafeContext<SpanByte, SpanByte, SpanByte, ArrayBufferWriter<byte>, long, ValueCopyFunctions> _context; // _session's
    private bool _inBatch; // the thread holds the epoch from BeginBatch to EndBatch
    private readonly ArrayBufferWriter<byte> _readBuffer = new(); // every read that waits copies its value here (reused: no allocation)
    private readonly ArrayBufferWriter<byte> _getBuffer = new(); // every Get that may go pending copies its value here (reused)
    private readonly ValueCopyFunctions _functions;
    private readonly int _pageBits;
    private readonly long _replayBytesMax; // StorageLimits.KvCheckpointReplayBytesMax
    // The index part of the latest durable full checkpoint, and the log's tail when it began (empty: none since the
    // store was opened, so the next checkpoint is a full one). Set only once that checkpoint is durable; read by the
    // next checkpoint, which begins after it (one checkpoint at a time).
    private Guid _indexToken;
    private long _indexStartAddress;

    /// <summary>Opens the store in <paramref name="directory"/> (created, its name synced, if missing).</summary>
    public FasterStore(string directory, StorageLimits limits, bool recover, IFileSystem? files = null, List<CompletedGet>? completedGets = null)
    {
        _functions = new ValueCopyFunctions(completedGets ?? []);
        _files = files ?? LocalFileSystem.Instance;
        _directory = directory;
        _pageBits = limits.KvPageBits;
        _replayBytesMax = limits.KvCheckpointReplayBytesMax;
        if (!recover)
        {
            _files.DeleteDirectory(directory); // a fresh store starts empty (an install cut short may have left one)
        }
        DirectorySync.CreateDurably(_files, directory);
        var logPath = Path.Combine(directory, "hlog.log");
        _device = new HeldTruncationDevice(new SegmentNameSyncDevice(_files.CreateDevice(logPath), _files, logPath), _files, logPath, limits.KvSegmentBits);
        // FASTER removes no checkpoint itself: see CheckpointFolders.
        _checkpoints = new DeviceLogCommitCheckpointManager(new FileSystemDeviceFactory(_files),
            new DefaultCheckpointNamingScheme(CheckpointFolders.Of(directory)), removeOutdated: false);
        using var settings = new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = limits.KvIndexBuckets * 64,
            MemorySize = 1L << limits.KvMemoryBits,
            PageSize = 1L << limits.KvPageBits,
            SegmentSize = 1L << limits.KvSegmentBits,
            LogDevice = _device,
            CheckpointManager = _checkpoints,
            TryRecoverLatest = false, // see RecoverNewestComplete
            RemoveOutdatedCheckpoints = false,
        };
        _store = new FasterKV<SpanByte, SpanByte>(settings);
        if (recover)
        {
            RecoverNewestComplete();
        }
        _session = _store.For(_functions).NewSession<ValueCopyFunctions>();
        _context = _session.UnsafeContext;
    }

    /// <summary>
    /// Enters FASTER's epoch once for the operations up to <see cref="EndBatch"/> (same thread, short: the epoch
    /// cannot move past this session meanwhile). FASTER still suspends it while a read waits for the device.
    /// </summary>
    public void BeginBatch()
    {
        Invariant.True(!_inBatch);
        _context.BeginUnsafe();
        _inBatch = true;
    }

    /// <summary>Leaves the epoch entered by <see cref="BeginBatch"/>.</summary>
    public void EndBatch()
    {
        Invariant.True(_inBatch);
        _inBatch = false;
        _context.EndUnsafe();
    }

    /// <summary>Inside a batch nothing (the epoch is held); outside, enters the epoch until the result is disposed.</summary>
    private EpochScope Protect() => new(_inBatch ? null : this);

    private readonly ref struct EpochScope
    {
        private readonly FasterStore? _entered;

        public EpochScope(FasterStore? enter)
        {
            _entered = enter;
            _entered?._context.BeginUnsafe();
        }

        public void Dispose() => _entered?._context.EndUnsafe();
    }

    /// <summary>
    /// Recovers the newest checkpoint whose log part and the index part it names (its own token for a full checkpoint,
    /// the file written beside a log-only one) both have their metadata. FASTER's own choice takes the newest log part
    /// and the newest index part that fits it: after a crash that kept a new checkpoint's index part and lost its log
    /// part's names, it paired the new index with the older log and recovered a mixed state (the simulated disk found
    /// it). A checkpoint whose metadata does not load was cut short (never reported durable) and is skipped; a store
    /// with none that loads opens empty. The next checkpoint after an open is a full one.
    /// </summary>
    private void RecoverNewestComplete()
    {
        foreach (var (log, index) in CheckpointFolders.CompleteCheckpoints(_files, _directory))
        {
            try
            {
                _store.Recover(index, log);
                return;
            }
            catch (Exception error) when (error is FasterException or IOException or FormatException or ArgumentException or OverflowException or InvalidOperationException)
            {
                // Metadata cut short by a crash (its name kept, its write lost): that checkpoint was never reported
                // durable (its tree is synced first); the one before it was, and is still here.
            }
        }
    }

    /// <summary>A fresh copy of the value under <paramref name="key"/>, or null.</summary>
    public byte[]? Read(ReadOnlySpan<byte> key) => ReadIntoBuffer(key) ? _readBuffer.WrittenSpan.ToArray() : null;

    /// <summary>Appends the value under <paramref name="key"/> to <paramref name="value"/>; false when absent. Allocates nothing.</summary>
    public bool TryRead(ReadOnlySpan<byte> key, IBufferWriter<byte> value)
    {
        if (!ReadIntoBuffer(key))
        {
            return false;
        }
        value.Write(_readBuffer.WrittenSpan);
        return true;
    }

    private bool ReadIntoBuffer(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var output = _readBuffer;
            output.ResetWrittenCount();
            using var epoch = Protect();
            var status = _context.Read(ref keySpan, ref output, 0);
            if (status.IsPending)
            {
                // Gets that went pending may complete here too: the callback keeps their answers (their own buffer).
                // FASTER leaves the epoch while it waits for the device.
                _context.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        if (outputs.Current.Context == 0)
                        {
                            status = outputs.Current.Status;
                        }
                    }
                }
                Invariant.True(!status.IsPending);
            }
            return status.Found;
        }
    }

    /// <summary>
    /// A Get that does not wait for the disk: the value appended to <paramref name="value"/> when in memory, or
    /// <see cref="GetStatus.Pending"/> when FASTER has to read it from the device: the read goes on, and its answer is
    /// added, under <paramref name="token"/> (not 0), to the completed list at a later <see cref="CompletePendingGets"/>.
    /// </summary>
    public GetStatus TryReadOrStart(ReadOnlySpan<byte> key, IBufferWriter<byte> value, long token)
    {
        Invariant.True(token != 0);
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var output = _getBuffer;
            output.ResetWrittenCount();
            using var epoch = Protect();
            var status = _context.Read(ref keySpan, ref output, token);
            if (status.IsPending)
            {
                _functions.PendingGets++;
                return GetStatus.Pending;
            }
            if (!status.Found)
            {
                return GetStatus.NotFound;
            }
            value.Write(output.WrittenSpan);
            return GetStatus.Found;
        }
    }

    /// <summary>Gets that went pending and are still in flight.</summary>
    public int PendingGets => _functions.PendingGets;

    /// <summary>
    /// Processes the pending Gets whose device reads ended (all of them, waiting, with <paramref name="wait"/>): their
    /// answers go to the completed list. Without waiting it never blocks.
    /// </summary>
    public void CompletePendingGets(bool wait)
    {
        if (_functions.PendingGets > 0)
        {
            using var epoch = Protect();
            _context.CompletePending(wait: wait);
        }
    }

    public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key, v = value)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var valueSpan = SpanByte.FromPointer(v, value.Length);
            using var epoch = Protect();
            _context.Upsert(ref keySpan, ref valueSpan);
        }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            using var epoch = Protect();
            _context.Delete(ref keySpan);
        }
    }

    /// <summary>Every live (key, value) whose key starts with <paramref name="space"/>.</summary>
    public List<(byte[] Key, byte[] Value)> LiveRecords(byte space)
    {
        var found = new List<(byte[], byte[])>();
        using var iterator = _session.Iterate();
        while (iterator.GetNext(out _))
        {
            var key = iterator.GetKey().AsReadOnlySpan();
            if (key.Length > 0 && key[0] == space)
            {
                found.Add((key.ToArray(), iterator.GetValue().ToByteArray()));
            }
        }
        return found;
    }

    public long TailAddress => _store.Log.TailAddress;

    /// <summary>Takes a fold-over checkpoint and waits for it: the log below the returned tail is immutable from now on.</summary>
    public long Checkpoint()
    {
        var (untilAddress, durable) = BeginCheckpoint();
        durable.GetAwaiter().GetResult();
        return untilAddress;
    }

    /// <summary>
    /// Starts a fold-over checkpoint and returns once the fold-over took effect: the log below the returned address
    /// is then immutable, and every operation that starts from now on belongs to the next version (FASTER moves a
    /// session to it when the session resumes, and the fold-over happens only once the store left the checkpoint's
    /// first phases). Until then the caller must keep operations out (the apply gate); after it they may go on
    /// while <c>Durable</c> (the checkpoint on disk) ends.
    /// <para>
    /// Most checkpoints are of the log alone. FASTER writes a full checkpoint's hash index BEFORE its fold-over, so the
    /// caller's applies waited for the whole index (8 MiB by default, whatever the data: 20–150 ms idle, more under
    /// load) at every snapshot. A log-only checkpoint is recovered with the index of the latest full one (its log
    /// replayed from that index's start) or, once compaction moved the log's begin past that start, by replaying the
    /// log from its begin (what FASTER does then even with a fresh index). A full checkpoint is taken when none was
    /// since the store was opened, or when that replay would exceed <see cref="StorageLimits.KvCheckpointReplayBytesMax"/>.
    /// </para>
    /// </summary>
    public (long UntilAddress, Task Durable) BeginCheckpoint()
    {
        CompletePendingGets(wait: true); // no operation of the session is left pending across the version change
        var tail = _store.Log.TailAddress;
        var readOnlyBefore = _store.Log.ReadOnlyAddress;
        // The checkpoint records a begin address at least this one (it only grows; no compaction runs meanwhile).
        var begin = _store.Log.BeginAddress;
        var full = _indexToken == Guid.Empty || tail - Math.Max(begin, _indexStartAddress) > _replayBytesMax;
        Guid token;
        Invariant.True(full ? _store.TryInitiateFullCheckpoint(out token, CheckpointType.FoldOver)
            : _store.TryInitiateHybridLogCheckpoint(out token, CheckpointType.FoldOver));
        var durable = CompleteCheckpointAsync(new CheckpointParts(token, full ? token : _indexToken, full ? tail : _indexStartAddress), begin);
        // Nothing to fold (no record since the last fold-over): no shift to wait for; wait for the whole checkpoint.
        var folds = readOnlyBefore < tail;
        while (!durable.IsCompleted && (!folds || _store.Log.ReadOnlyAddress < tail))
        {
            Thread.Sleep(1);
        }
        return (tail, durable);
    }

    /// <summary>A checkpoint's log part and the index part it is recovered with (the same token for a full one).</summary>
    private readonly record struct CheckpointParts(Guid Log, Guid Index, long IndexStartAddress)
    {
        public bool Full => Log == Index;
    }

    /// <summary>
    /// FASTER's checkpoint, then (log-only) the name of its index part written and synced beside its log part, then its
    /// folders synced (only then is it durable), then the older parts deleted (and their folders synced), then the log's
    /// segments below the checkpoint's begin address: in that order, nothing the newest checkpoint on disk references is
    /// ever deleted, whatever a power cut keeps.
    /// </summary>
    private Task CompleteCheckpointAsync(CheckpointParts parts, long begin) =>
        _store.CompleteCheckpointAsync().AsTask().ContinueWith(completed =>
        {
            completed.GetAwaiter().GetResult(); // a failed checkpoint fails here, before anything is deleted
            if (!parts.Full)
            {
                CheckpointFolders.WriteIndexPart(_files, _directory, parts.Log, parts.Index);
            }
            CheckpointFolders.SyncTree(_files, _directory);
            CheckpointFolders.DeleteAllBut(_files, _directory, parts.Log, parts.Index);
            _device.DeleteSegmentsBelow(begin);
            (_indexToken, _indexStartAddress) = (parts.Index, parts.IndexStartAddress);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// The latest version of every key present in [begin, untilAddress), as the store stood at untilAddress
    /// (immutable after the fold-over, so applies may go on meanwhile). Two scans: the first finds each key's
    /// last record, the second emits it unless it is a tombstone. (Every version was exported before: a store
    /// whose values grow by Append kept each one, and snapshots grew with the whole write history.) Once every
    /// record was read, <paramref name="tally"/> holds the region's size and the bytes of its live records.
    /// </summary>
    public IEnumerable<SnapshotRecord> RecordsUntil(long untilAddress, ExportTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var begin = _store.Log.BeginAddress;
        var lookup = LastAddresses(untilAddress).GetAlternateLookup<ReadOnlySpan<byte>>();
        long liveBytes = 0;
        using (var second = _store.Log.Scan(begin, untilAddress))
        {
            while (second.GetNext(out var info))
            {
                if (info.Invalid || info.Tombstone || !lookup.TryGetValue(second.GetKey().AsReadOnlySpan(), out var last) || last != second.CurrentAddress)
                {
                    continue;
                }
                liveBytes += second.NextAddress - second.CurrentAddress;
                yield return new SnapshotRecord(second.GetKey().ToByteArray(), second.GetValue().ToByteArray());
            }
        }
        tally.Complete(begin, untilAddress, liveBytes);
    }

    public void Dispose()
    {
        _session.Dispose();
        _store.Dispose();
        _checkpoints.Dispose();
        _device.Dispose();
    }
}

/// <summary>
/// FASTER callbacks for SpanByte keys and values that copy a value read into the caller's reused buffer. A Get that went
/// pending (its context a token, not 0) is answered on completion into <paramref name="completedGets"/>, copied out of
/// the buffer at once (the next completion reuses it).
/// </summary>
internal sealed class ValueCopyFunctions(List<CompletedGet> completedGets) : SpanByteFunctions<SpanByte, ArrayBufferWriter<byte>, long>
{
    /// <summary>Gets gone pending and not completed yet.</summary>
    public int PendingGets { get; set; }

    /// <inheritdoc/>
    public override void ReadCompletionCallback(ref SpanByte key, ref SpanByte input, ref ArrayBufferWriter<byte> output, long ctx, Status status, RecordMetadata recordMetadata)
    {
        if (ctx == 0)
        {
            return; // a read that waits takes its answer itself
        }
        PendingGets--;
        completedGets.Add(new CompletedGet(ctx, status.Found ? output.WrittenSpan.ToArray() : null));
    }

    /// <inheritdoc/>
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ArrayBufferWriter<byte> dst, ref ReadInfo readInfo)
    {
        Copy(ref value, dst);
        return true;
    }

    /// <inheritdoc/>
    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ArrayBufferWriter<byte> dst, ref ReadInfo readInfo)
    {
        Copy(ref value, dst);
        return true;
    }

    // Reset first: a reader may run again for the same read (a retried operation), and must not append twice.
    private static void Copy(ref SpanByte value, ArrayBufferWriter<byte> dst)
    {
        dst.ResetWrittenCount();
        dst.Write(value.AsReadOnlySpan());
    }
}

/// <summary>Byte-array keys compared by content, looked up by span without a copy.</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static ByteKeyComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
