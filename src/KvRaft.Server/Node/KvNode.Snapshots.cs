using KvRaft.Raft;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    private sealed class IncomingSnapshot(int from, long index, long term, SnapshotInstaller installer) : IDisposable
    {
        public int From { get; } = from;
        public long Index { get; } = index;
        public long Term { get; } = term;
        public SnapshotInstaller Installer { get; } = installer;
        public bool LastSeen { get; set; }
        public void Dispose() => Installer.Dispose();
    }

    private IncomingSnapshot? _incoming;
    private bool _snapshotInProgress;
    // Log bytes kept right after the last snapshot's compaction: the next snapshot waits for SnapshotAfterLogBytes
    // more. (Measured from the compaction alone, a log whose kept lag was itself above the threshold, as with
    // entries that batch a hundred writes each, took snapshot after snapshot without end.)
    private long _logBytesAfterSnapshot;

    /// <summary>Makes an installer for a snapshot coming in (a staging file next to the state machine).</summary>
    public Func<SnapshotInstaller>? NewSnapshotInstaller { get; init; }

    /// <summary>A chunk of a snapshot a leader is sending (payload decompressed, memory owned).</summary>
    public void OnSnapshotChunk(int from, in WireSnapshotChunk chunk)
    {
        if (chunk.Offset == 0)
        {
            _incoming?.Dispose();
            _incoming = null;
            if (NewSnapshotInstaller is null) return;
            _incoming = new IncomingSnapshot(from, chunk.SnapshotIndex, chunk.SnapshotTerm, NewSnapshotInstaller());
        }
        IncomingSnapshot? incoming = _incoming;
        if (incoming is null || incoming.From != from || incoming.Index != chunk.SnapshotIndex || incoming.Term != chunk.SnapshotTerm) return;
        try
        {
            incoming.Installer.Accept(new Storage.SnapshotChunk((long)chunk.Offset, chunk.Payload, Crc32C.Compute(chunk.Payload.Span), chunk.Last));
            incoming.LastSeen = chunk.Last;
        }
        catch (Exception error) when (error is ArgumentException or StorageCorruptException)
        {
            _logger.LogWarning(error, "Snapshot {Index} from node {From}: bad chunk at {Offset}; discarded", chunk.SnapshotIndex, from, chunk.Offset);
            incoming.Dispose();
            _incoming = null;
        }
    }

    private bool HasCompleteIncomingSnapshot(int from, SnapshotMetadata snapshot) =>
        _incoming is { LastSeen: true } incoming && incoming.From == from && incoming.Index == snapshot.Index && incoming.Term == snapshot.Term;

    /// <summary>The core restored from a snapshot: verify it and swap the state machine to it, then reset the log.</summary>
    private void InstallIncomingSnapshot(SnapshotMetadata snapshot)
    {
        IncomingSnapshot incoming = _incoming ?? throw new InvalidOperationException("snapshot data missing");
        Invariant.True(incoming.Index == snapshot.Index && incoming.Term == snapshot.Term, (incoming.Index, snapshot.Index));
        _incoming = null;
        SnapshotInfo info = incoming.Installer.Complete(); // verifies every checksum before anything is replaced
        incoming.Dispose();
        Invariant.True(info.Index == snapshot.Index && info.Term == snapshot.Term, (info.Index, snapshot.Index));
        _log.CompactUntil(snapshot.Index, snapshot.Term);
        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        Statistics.SnapshotInstalled();
        _logger.LogInformation("Node {Id} installed snapshot {Index}@{Term}", Id, snapshot.Index, snapshot.Term);
    }

    /// <summary>The host finished (or gave up) streaming a snapshot to <paramref name="to"/>.</summary>
    public void OnSnapshotSent(int to, bool delivered)
    {
        _raft.ReportSnapshot(to, delivered ? SnapshotStatus.Finished : SnapshotStatus.Failed);
        AfterInput();
    }

    /// <summary>
    /// True when the log has grown enough since the last snapshot that the host should take a
    /// snapshot now (in the background) with <paramref name="configuration"/>, then call <see cref="OnSnapshotTaken"/>.
    /// </summary>
    public bool TryStartSnapshot(out byte[] configuration)
    {
        configuration = Array.Empty<byte>();
        if (_snapshotInProgress || _log.BytesSinceCompaction - _logBytesAfterSnapshot < _limits.SnapshotAfterLogBytes) return false;
        long latest = _machine.LatestSnapshot?.Info.Index ?? 0;
        if (_machine.AppliedIndex <= latest) return false;
        _snapshotInProgress = true;
        configuration = ClusterMembership.Encode(_storage.Config);
        return true;
    }

    /// <summary>A snapshot finished (or failed: null): compact the log behind it, keeping a lag for slow followers.</summary>
    public void OnSnapshotTaken(SnapshotInfo? info)
    {
        _snapshotInProgress = false;
        if (info is null) return;
        Statistics.SnapshotTaken();
        long compactTo = Math.Min(info.Index, Math.Max(info.Index - _limits.CompactionLagEntries, 0));
        if (compactTo >= _log.FirstIndex && _log.TryGetTerm(compactTo, out long term)) _log.CompactUntil(compactTo, term);
        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        _logger.LogInformation("Node {Id} took snapshot {Index}@{Term}; log compacted to {Compacted}", Id, info.Index, info.Term, compactTo);
    }
}
