using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;

namespace KvRaft.Storage;

/// <summary>
/// The state machine on FasterKV. Folder layout: <c>CURRENT</c> names the live generation folder (swapped by
/// atomic rename when a snapshot is installed); the generation folder holds FASTER's log and checkpoints;
/// <c>snapshots/snapshot.kvs</c> is the latest portable snapshot (see <see cref="SnapshotPublisher"/>). On open the store recovers its latest
/// checkpoint, so the caller replays the Raft log from <see cref="KvStateMachineBase.AppliedIndex"/> + 1.
/// </summary>
public sealed partial class FasterKvStateMachine : KvStateMachineBase
{
    private const string CurrentFile = "CURRENT";
    private readonly string _root;
    private readonly IFileSystem _files;
    private FasterStore _store;
    private readonly SnapshotPublisher _snapshots; // the portable snapshot file: exports and installs take turns on it
    private Task? _checkpointInFlight; // the durable end of the last checkpoint begun (it ends outside the apply gate)
    private int _snapshotting; // 1 while a snapshot runs: one at a time (FASTER takes one checkpoint at a time)
    private readonly List<CompletedGet> _completedGets = []; // answers of pending Gets not yet taken (under the apply gate), across stores

    private FasterKvStateMachine(string root, StorageLimits limits, IFileSystem files) : base(limits)
    {
        _root = root;
        _files = files;
        _snapshots = new SnapshotPublisher(files, Path.Combine(root, "snapshots"), limits.SnapshotChunkBytes);
        var generation = ReadCurrent() ?? SwapCurrent(NewGenerationName(null));
        DeleteOtherGenerations(generation);
        _store = new FasterStore(Path.Combine(root, generation), limits, recover: true, files, _completedGets);
        LoadState();
    }

    /// <summary>Opens (recovering the latest checkpoint) or creates the state machine in <paramref name="root"/>.</summary>
    public static FasterKvStateMachine Open(string root, StorageLimits? limits = null) => Open(root, limits, LocalFileSystem.Instance);

    /// <summary>Opens the state machine with every file on <paramref name="files"/> (a simulated disk in crash tests).</summary>
    internal static FasterKvStateMachine Open(string root, StorageLimits? limits, IFileSystem files) => new(root, limits ?? StorageLimits.Default, files);

    /// <inheritdoc/>
    public override ISnapshotSource? LatestSnapshot => _snapshots.Latest;

    // Reads take the apply gate too (re-entered inside an apply): the store's session is single-threaded, and a read
    // must not be in flight while compaction copies a record and moves the begin address past the original.
    private protected override byte[]? Read(ReadOnlySpan<byte> storeKey)
    {
        lock (ApplyGate)
        {
            return _store.Read(storeKey);
        }
    }

    private protected override bool TryRead(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value)
    {
        lock (ApplyGate)
        {
            return _store.TryRead(storeKey, value);
        }
    }

    private protected override GetStatus TryReadOrStart(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value, long token)
    {
        lock (ApplyGate)
        {
            return _store.TryReadOrStart(storeKey, value, token);
        }
    }

    /// <inheritdoc/>
    public override void TakeCompletedGets(List<CompletedGet> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (ApplyGate)
        {
            _store.CompletePendingGets(wait: false);
            into.AddRange(_completedGets);
            _completedGets.Clear();
        }
    }

    /// <summary>Waits until every pending Get's device read has ended (tests: then <see cref="TakeCompletedGets"/> has them all).</summary>
    internal void WaitForPendingGets()
    {
        lock (ApplyGate)
        {
            _store.CompletePendingGets(wait: true);
        }
    }

    private protected override void Write(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value) => _store.Write(storeKey, value);

    // A batch is one pass of the store's session: one epoch entry for all its operations (not one each).
    private protected override void BeginApplyPass() => _store.BeginBatch();

    private protected override void EndApplyPass() => _store.EndBatch();

    private protected override bool Remove(ReadOnlySpan<byte> storeKey)
    {
        if (_store.Read(storeKey) is null)
        {
            return false;
        }
        _store.Delete(storeKey);
        return true;
    }

    private protected override IEnumerable<(byte[] Key, byte[] Value)> ReadSessions() => _store.LiveRecords(KvKeys.SessionSpace);

    /// <inheritdoc/>
    public override async ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default)
    {
        Invariant.True(Interlocked.Exchange(ref _snapshotting, 1) == 0); // the caller starts one snapshot at a time
        try
        {
            return await SnapshotAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _snapshotting, 0);
        }
    }

    private async Task<SnapshotInfo> SnapshotAsync(byte[] configuration, CancellationToken cancellationToken)
    {
        // The last snapshot's compaction ends first: it moves the begin address, which this checkpoint records and
        // this export reads from (it is never both at once).
        var started = Stopwatch.GetTimestamp();
        await FinishCompactionAsync().ConfigureAwait(false);
        var compactionWaited = Stopwatch.GetTimestamp();
        long gateHeld;
        SnapshotInfo info;
        long untilAddress;
        Task durable;
        FasterStore currentStore;
        ExportTicket ticket;
        lock (ApplyGate)
        {
            var stored = SetSnapshotConfiguration(configuration); // the configuration at AppliedIndex, read under the gate
            FlushSessions();
            info = new SnapshotInfo(AppliedIndex, AppliedTerm, stored);
            // Applies wait only for the fold-over (tens of ms), not for the checkpoint's writes (up to a second).
            (untilAddress, durable) = _store.BeginCheckpoint();
            _checkpointInFlight = durable;
            currentStore = _store;
            ticket = _snapshots.BeginExport(); // an install from now on cancels this export
            gateHeld = Stopwatch.GetTimestamp();
        }
        // The snapshot is reported only once its checkpoint is durable: the Raft log is compacted up to it then.
        await durable.ConfigureAwait(false);
        var durableAt = Stopwatch.GetTimestamp();
        // Below untilAddress the FASTER log is immutable after the fold-over, so the export runs beside applies. An
        // install meanwhile replaces (and disposes) that store: it cancels the export and waits for it to stop first.
        var tally = new ExportTally();
        var published = await Task.Run(() => _snapshots.TryPublishExport(ticket, info, currentStore.RecordsUntil(untilAddress, tally)), cancellationToken).ConfigureAwait(false);
        if (!published)
        {
            throw new SnapshotSupersededException($"Snapshot {info.Index} abandoned: an install replaced the state it was taken of (latest now {_snapshots.Latest?.Info.Index})");
        }
        StartCompaction(currentStore, tally); // the next snapshot's checkpoint makes it durable, then frees its segments
        LastSnapshotPhases = new SnapshotPhases(Stopwatch.GetElapsedTime(started, compactionWaited), Stopwatch.GetElapsedTime(compactionWaited, gateHeld),
            Stopwatch.GetElapsedTime(gateHeld, durableAt), Stopwatch.GetElapsedTime(durableAt), tally.UntilAddress - tally.BeginAddress);
        return info;
    }

    internal override void ReplaceFrom(SnapshotFile snapshot)
    {
        lock (ApplyGate)
        {
            Volatile.Read(ref _compaction)?.Stop(); // it ends at its next chunk, while the fresh store is built; SwitchTo waits
            var generation = NewGenerationName(ReadCurrent());
            using (var fresh = new FasterStore(Path.Combine(_root, generation), Limits, recover: false, _files))
            {
                foreach (var record in snapshot.ReadRecords())
                {
                    if (record.Value is null)
                    {
                        fresh.Delete(record.Key);
                    }
                    else
                    {
                        fresh.Write(record.Key, record.Value);
                    }
                }
                WriteApplied(fresh, snapshot.Info);
                fresh.Checkpoint();
            }
            _snapshots.Install(snapshot, () => SwitchTo(generation));
        }
    }

    /// <summary>Makes <paramref name="generation"/> (complete and checkpointed) the live store; no export reads the old one now.</summary>
    private void SwitchTo(string generation)
    {
        StopCompaction();
        WaitForCheckpointInFlight(); // a snapshot of our own may still be writing the store that goes now
        _store.CompletePendingGets(wait: true); // their answers, of the state before the install, stay to be taken
        _store.Dispose();
        SwapCurrent(generation);
        DeleteOtherGenerations(generation);
        _store = new FasterStore(Path.Combine(_root, generation), Limits, recover: true, _files, _completedGets);
        LoadState();
    }

    private void WaitForCheckpointInFlight()
    {
        try
        {
            _checkpointInFlight?.GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or FASTER.core.FasterException)
        {
            // That snapshot fails (and reports it) on its own path; the store is replaced all the same.
        }
    }

    private static void WriteApplied(FasterStore target, SnapshotInfo info)
    {
        Span<byte> applied = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(applied, info.Index);
        BinaryPrimitives.WriteInt64LittleEndian(applied[8..], info.Term);
        target.Write(KvKeys.AppliedKey, applied);
        target.Write(KvKeys.ConfigurationKey, info.Configuration);
    }

    private string? ReadCurrent()
    {
        var path = Path.Combine(_root, CurrentFile);
        if (!_files.FileExists(path))
        {
            return null;
        }
        using var reader = new StreamReader(_files.Open(path, FileMode.Open, FileAccess.Read));
        return reader.ReadToEnd().Trim();
    }

    /// <summary>Points CURRENT at <paramref name="generation"/> by an atomic rename (after syncing the new content), synced.</summary>
    private string SwapCurrent(string generation)
    {
        var temporary = Path.Combine(_root, CurrentFile + ".tmp");
        using (var stream = _files.Open(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(generation));
            _files.SyncFile(stream);
        }
        ReplaceDurably(temporary, Path.Combine(_root, CurrentFile));
        return generation;
    }

    private static string NewGenerationName(string? current)
    {
        var number = current is null ? 0 : long.Parse(current.AsSpan(2), CultureInfo.InvariantCulture);
        return "g-" + (number + 1).ToString("D6", CultureInfo.InvariantCulture);
    }

    private void DeleteOtherGenerations(string keep)
    {
        foreach (var folder in _files.ListDirectories(_root))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith("g-", StringComparison.Ordinal) && name != keep)
            {
                _files.DeleteDirectory(folder); // a deletion lost at a crash is redone at the next open
            }
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        StopCompaction();
        WaitForCheckpointInFlight(); // a snapshot may still be writing its checkpoint
        _store.Dispose();
    }
}
