using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    /// <summary>
    /// A snapshot coming in from a leader: staged chunk by chunk, verified whole when its last chunk arrives, and pinned
    /// once the core restored it, until the Ready that carries it installs it: no chunk replaces it meanwhile.
    /// </summary>
    private sealed class IncomingSnapshot(int from, long index, long term, SnapshotInstaller installer) : IDisposable
    {
        public int From { get; } = from;
        public long Index { get; } = index;
        public long Term { get; } = term;
        public SnapshotInstaller Installer { get; } = installer;
        public bool Verified { get; set; }
        public bool Pinned { get; set; }
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

    /// <summary>
    /// A chunk of a snapshot the leader is sending (payload decompressed, memory owned), from peer <paramref name="from"/>
    /// (the node id its connection authenticated). Taken only from the leader of this node's term, within
    /// <see cref="ProtocolLimits.SnapshotChunkBytesMax"/> a chunk and <see cref="ServerLimits.SnapshotBytesMax"/> a
    /// snapshot; one snapshot is staged at a time, and its staging file is removed when it is abandoned.
    /// </summary>
    public PeerCheck OnSnapshotChunk(int from, in WireSnapshotChunk chunk)
    {
        var check = CheckChunk(from, chunk);
        if (check.IsRefused)
        {
            Statistics.SnapshotChunkRefused();
            if (_incoming is { Pinned: false } refused && refused.From == from)
            {
                DiscardIncoming(); // its stream is broken for good
            }

            return check;
        }
        if (check.Verdict == PeerVerdict.Ignored)
        {
            _logger.LogDebug("Snapshot chunk {Index}@{Term} at {Offset} from node {From} ignored: {Reason}", chunk.SnapshotIndex, chunk.SnapshotTerm, chunk.Offset, from, check.Reason);
            return check;
        }
        if (chunk.Offset == 0)
        {
            DiscardIncoming(); // a newer stream (or the same one again) replaces what was staged
            if (NewSnapshotInstaller is null)
            {
                return PeerCheck.Ignore("this node takes no snapshots");
            }

            _incoming = new IncomingSnapshot(from, chunk.SnapshotIndex, chunk.SnapshotTerm, NewSnapshotInstaller());
        }
        var incoming = _incoming;
        if (incoming is null || incoming.From != from || incoming.Index != chunk.SnapshotIndex || incoming.Term != chunk.SnapshotTerm)
        {
            return PeerCheck.Ignore("a chunk of no snapshot being received");
        }
        try
        {
            incoming.Installer.Accept(new Storage.SnapshotChunk((long)chunk.Offset, chunk.Payload, Crc32C.Compute(chunk.Payload.Span), chunk.Last));
            if (chunk.Last)
            {
                incoming.Verified = VerifyIncoming(incoming);
            }

            return check;
        }
        catch (Exception error) when (error is ArgumentException or StorageCorruptException)
        {
            // A chunk lost on the way (the sender's queue was full) or a damaged file: the leader sends it again.
            _logger.LogWarning(error, "Snapshot {Index} from node {From}: bad chunk at {Offset}; discarded", chunk.SnapshotIndex, from, chunk.Offset);
            DiscardIncoming();
            return PeerCheck.Ignore("a chunk out of order, or a snapshot that fails its checks");
        }
    }

    /// <summary>The verdict on a chunk before anything is staged; refusals first, then what a correct peer may send.</summary>
    private PeerCheck CheckChunk(int from, in WireSnapshotChunk chunk)
    {
        if (!PeerMessageValidator.IsPossiblePeer(from, View))
        {
            return PeerCheck.Refuse("a snapshot chunk from a node that is not another node");
        }

        if (chunk.Compressed || chunk.UncompressedBytes != chunk.Payload.Length)
        {
            return PeerCheck.Refuse("a snapshot chunk not decompressed by the transport");
        }

        if (chunk.Payload.Length > ProtocolLimits.SnapshotChunkBytesMax)
        {
            return PeerCheck.Refuse("a snapshot chunk above SnapshotChunkBytesMax");
        }

        if (chunk.Offset > (ulong)_limits.SnapshotBytesMax || (long)chunk.Offset + chunk.Payload.Length > _limits.SnapshotBytesMax)
        {
            return PeerCheck.Refuse("a snapshot above SnapshotBytesMax");
        }
        if (chunk.SnapshotIndex < 1 || chunk.SnapshotTerm < 1 || chunk.SnapshotTerm > RaftNode.TermMax)
        {
            return PeerCheck.Refuse("a snapshot index or term out of range");
        }

        if (_raft.Leader != from || _raft.Leader == Id)
        {
            return PeerCheck.Ignore("a snapshot chunk from a node that is not the leader this node follows");
        }

        if (chunk.SnapshotTerm > _raft.Term)
        {
            return PeerCheck.Refuse("a snapshot of a term above the leader's");
        }

        if (_incoming is { Pinned: true })
        {
            return PeerCheck.Ignore("a restored snapshot waits for its install");
        }

        return PeerCheck.Accept;
    }

    /// <summary>A snapshot being staged from a node that no longer leads this node is abandoned: its staging file goes.</summary>
    private void DiscardIncomingFromFormerLeader()
    {
        if (_incoming is { Pinned: false } incoming && incoming.From != _raft.Leader)
        {
            DiscardIncoming();
        }
    }

    /// <summary>Checks the whole file before the core may see its Snapshot message: an install cannot fail on its data.</summary>
    private bool VerifyIncoming(IncomingSnapshot incoming)
    {
        var info = incoming.Installer.Verify(); // throws StorageCorruptException when a frame or the file fails its checksum
        if (info.Index != incoming.Index || info.Term != incoming.Term)
        {
            throw new StorageCorruptException($"snapshot file holds {info.Index}@{info.Term}, announced as {incoming.Index}@{incoming.Term}");
        }
        if (!IsWellFormedConfiguration(info.Configuration))
        {
            throw new StorageCorruptException($"snapshot {info.Index}@{info.Term} holds a malformed configuration ({info.Configuration.Length} bytes)");
        }
        return true;
    }

    /// <summary>What <see cref="ClusterMembership.Decode"/> reads without tripping: nothing, or a well-formed configuration.</summary>
    private static bool IsWellFormedConfiguration(byte[] bytes) => ClusterMembership.TryDecode(bytes, out _);

    private void DiscardIncoming()
    {
        _incoming?.Dispose();
        _incoming = null;
    }

    /// <summary>
    /// A Snapshot message: handed to the core only with its data received and verified. When the core restores it,
    /// its data stays pinned until the Ready that carries it; when the core refuses it, the data is of no use.
    /// </summary>
    /// <returns>False when the core refused the message as impossible.</returns>
    private bool StepSnapshot(in Message message)
    {
        var snapshot = message.Snapshot;
        if (_incoming is not { Verified: true, Pinned: false } incoming || incoming.From != message.From
            || incoming.Index != snapshot.Index || incoming.Term != snapshot.Term)
        {
            _logger.LogWarning("Snapshot {Index}@{Term} from node {From} arrived without its data; ignored", snapshot.Index, snapshot.Term, message.From);
            return true;
        }
        var taken = _raft.Step(message);
        if (_raft.RestoredSnapshot is { } restored && restored.Index == incoming.Index && restored.Term == incoming.Term)
        {
            incoming.Pinned = true;
        }
        else
        {
            DiscardIncoming();
        }

        return taken;
    }

    /// <summary>
    /// The core restored a snapshot: swap the state machine to it (durable at once), then empty the log behind it
    /// (durable with this Ready's log write). A kill between the two is repaired at start by <see cref="StorageReconciliation"/>.
    /// </summary>
    private void InstallIncomingSnapshot(SnapshotMetadata snapshot)
    {
        var started = _profile.Timestamp();
        var incoming = _incoming;
        Invariant.True(incoming is { Pinned: true } && incoming.Index == snapshot.Index && incoming.Term == snapshot.Term, (incoming?.Index, snapshot.Index));
        _incoming = null;
        SnapshotInfo info;
        try
        {
            info = incoming!.Installer.Complete(); // verified when its last chunk arrived
        }
        finally
        {
            incoming!.Dispose();
        }
        Invariant.True(info.Index == snapshot.Index && info.Term == snapshot.Term, (info.Index, snapshot.Index));
        _appliedDirectory = ClusterMembership.DecodeDirectory(info.Configuration); // verified when its last chunk arrived
        ResetLogAfter(snapshot);
        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        Statistics.SnapshotInstalled();
        _profile.SnapshotInstalled(_profile.Timestamp() - started, _machine.LatestSnapshot?.Info.Index == snapshot.Index ? _machine.LatestSnapshot.TotalBytes : 0);
        _logger.LogInformation("Node {Id} installed snapshot {Index}@{Term}", Id, snapshot.Index, snapshot.Term);
    }

    /// <summary>The log after an install: empty, continuing after the snapshot (as etcd-io/raft, which discards it whole).</summary>
    private void ResetLogAfter(SnapshotMetadata snapshot)
    {
#if PLANTED_BUGS
        if (PlantedBugs.Has(PlantedBug.SnapshotBoundaryAfterSwap))
        {
            _log.CompactUntil(snapshot.Index, snapshot.Term); // the old way: only the prefix goes, and nothing repairs a kill at start
            return;
        }
#endif
        _log.ResetAfter(snapshot.Index, snapshot.Term);
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
        if (_snapshotInProgress || _log.BytesSinceCompaction - _logBytesAfterSnapshot < _limits.SnapshotAfterLogBytes)
        {
            return false;
        }

        var latest = _machine.LatestSnapshot?.Info.Index ?? 0;
        if (_machine.AppliedIndex <= latest)
        {
            return false;
        }

        _snapshotInProgress = true;
        // The configuration in effect at the applied index (the core's may already be a restored snapshot's whose
        // install waits for the next Ready); a Configure the machine applies before its export begins replaces it.
        configuration = ClusterMembership.Encode(_appliedConfig, _appliedDirectory);
        return true;
    }

    /// <summary>A snapshot finished (or failed: null): compact the log behind it, keeping a lag for slow followers.</summary>
    public void OnSnapshotTaken(SnapshotInfo? info)
    {
        _snapshotInProgress = false;
        if (info is null)
        {
            return;
        }

        Statistics.SnapshotTaken();
        var compactTo = Math.Min(info.Index, Math.Max(info.Index - _limits.CompactionLagEntries, 0));
        if (compactTo >= _log.FirstIndex && _log.TryGetTerm(compactTo, out var term))
        {
            _log.CompactUntil(compactTo, term);
        }

        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        _logger.LogInformation("Node {Id} took snapshot {Index}@{Term}; log compacted to {Compacted}", Id, info.Index, info.Term, compactTo);
    }
}
