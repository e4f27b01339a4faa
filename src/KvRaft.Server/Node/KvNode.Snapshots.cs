using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node.Sharding;
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
        // Chunks and bytes written to the staging file, in order from the start (bytes == Installer.ReceivedBytes).
        public SnapshotPosition Staged { get; set; }
        public bool Pinned { get; set; }
        public byte[] Configuration { get; set; } = []; // the snapshot's, once verified
        public void Dispose() => Installer.Dispose();
    }

    private IncomingSnapshot? _incoming;
    private IncomingSnapshot? _installing; // its state machine swap runs off the loop: no Ready is taken meanwhile
    private (long Index, long Term) _installed; // swapped and durable; the Ready that carries it is next
    private MemberDirectory? _installedDirectory; // the member directory of _installed (null when none is installed)
    private long _installStarted;
    private bool _snapshotInProgress;
    // Log bytes kept right after the last snapshot's compaction: the next snapshot waits for the policy's threshold
    // more. (Measured from the compaction alone, a log whose kept lag was itself above the threshold, as with
    // entries that batch a hundred writes each, took snapshot after snapshot without end.)
    private long _logBytesAfterSnapshot;
    private (long Index, long Bytes) _latestSnapshotSize; // see LatestSnapshotBytes

    /// <summary>Runs an install's state machine swap off the event loop (none: on it, at once).</summary>
    public ISnapshotInstallRunner? InstallRunner { get; init; }

    /// <summary>Makes an installer for a snapshot coming in (a staging file next to the state machine).</summary>
    public Func<SnapshotInstaller>? NewSnapshotInstaller { get; init; }

    /// <summary>
    /// A chunk of a snapshot the leader is sending (payload decompressed, memory owned), from peer <paramref name="from"/>
    /// (the node id its connection authenticated). Taken only from the leader of this node's term, within
    /// <see cref="ProtocolLimits.SnapshotChunkBytesMax"/> a chunk and <see cref="ServerLimits.SnapshotBytesMax"/> a
    /// snapshot; one snapshot is staged at a time, and its staging file is removed when it is abandoned. Every chunk
    /// taken is acknowledged (<see cref="PeerMessageType.SnapshotAck"/>: the leader's window opens); a chunk that does not
    /// continue the staged prefix is answered with where the leader must resume (the prefix of the same snapshot from
    /// the same leader is kept across broken streams; a snapshot of another index or term replaces it).
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
        if (NewSnapshotInstaller is null)
        {
            return PeerCheck.Ignore("this node takes no snapshots");
        }

        var incoming = _incoming;
        if (incoming is null || incoming.From != from || incoming.Index != chunk.SnapshotIndex || incoming.Term != chunk.SnapshotTerm)
        {
            DiscardIncoming(); // staged data of another snapshot (or another leader's export of it) is of no use
            if (chunk.Offset != 0 || chunk.ChunkIndex != 0)
            {
                SendSnapshotAck(from, chunk.SnapshotIndex, chunk.SnapshotTerm, SnapshotPosition.Start, resume: true);
                return PeerCheck.Ignore("a chunk past the start of a snapshot not staged here: the leader resumes from the start");
            }

            _incoming = incoming = new IncomingSnapshot(from, chunk.SnapshotIndex, chunk.SnapshotTerm, NewSnapshotInstaller());
        }
        if ((long)chunk.Offset != incoming.Staged.Bytes || chunk.ChunkIndex != incoming.Staged.Chunks || incoming.Verified)
        {
            AnswerUnstagedChunk(incoming, chunk);
            return PeerCheck.Ignore("a chunk that does not continue the staged prefix");
        }

        return StageChunk(incoming, chunk, check);
    }

    /// <summary>
    /// A chunk that does not continue the staged prefix. One already staged is acknowledged as such (the leader sent
    /// it: a resent stream, a duplicate), except the first chunk of a stream started over, which asks the leader to
    /// resume after the prefix; one after a gap (a chunk lost on the way) asks the leader to resume at the gap.
    /// </summary>
    private void AnswerUnstagedChunk(IncomingSnapshot incoming, in WireSnapshotChunk chunk)
    {
        var end = new SnapshotPosition(chunk.ChunkIndex + 1L, (long)chunk.Offset + chunk.Payload.Length);
        var staged = chunk.Offset != 0 && end.Chunks <= incoming.Staged.Chunks && end.Bytes <= incoming.Staged.Bytes;
        SendSnapshotAck(incoming.From, incoming.Index, incoming.Term, staged ? end : incoming.Staged, resume: !staged);
    }

    /// <summary>Writes the chunk that continues the staged prefix; verifies the whole file after the last; acknowledges.</summary>
    private PeerCheck StageChunk(IncomingSnapshot incoming, in WireSnapshotChunk chunk, PeerCheck check)
    {
        try
        {
            incoming.Installer.Accept(new Storage.SnapshotChunk((long)chunk.Offset, chunk.Payload, Crc32C.Compute(chunk.Payload.Span), chunk.Last));
            incoming.Staged = new SnapshotPosition(incoming.Staged.Chunks + 1, incoming.Installer.ReceivedBytes);
            if (chunk.Last)
            {
                incoming.Verified = VerifyIncoming(incoming);
            }

            SendSnapshotAck(incoming.From, incoming.Index, incoming.Term, incoming.Staged, resume: false);
            return check;
        }
        catch (Exception error) when (error is ArgumentException or StorageCorruptException)
        {
            // A damaged or malformed file: nothing staged can be trusted, the node keeps its state, the leader starts over.
            _logger.LogWarning(error, "Snapshot {Index} from node {From}: chunk at {Offset} or the snapshot refused ({Reason}); discarded, this node keeps its state",
                chunk.SnapshotIndex, incoming.From, chunk.Offset, error.Message);
            DiscardIncoming();
            SendSnapshotAck(incoming.From, incoming.Index, incoming.Term, SnapshotPosition.Start, resume: true);
            return PeerCheck.Ignore("a chunk out of order, or a snapshot that fails its checks: " + error.Message);
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

        if (_incoming is { Pinned: true } || _installing is not null)
        {
            return PeerCheck.Ignore("a restored snapshot waits for its install");
        }

        return PeerCheck.Accept;
    }

    /// <summary>
    /// A snapshot being staged from a node once another leads this node is abandoned: its staging file goes. While no
    /// leader is known (an election) it is kept: a re-elected leader resumes it.
    /// </summary>
    private void DiscardIncomingFromFormerLeader()
    {
        if (_incoming is { Pinned: false } incoming && _raft.Leader != 0 && incoming.From != _raft.Leader)
        {
            DiscardIncoming();
        }
    }

    /// <summary>
    /// Checks the whole file before the core may see its Snapshot message: an install cannot fail on its data. Its
    /// checksums, its records, its Raft configuration, and the sharding state it would install (the shard states of a
    /// data group, the configurations of the controller group) are validated; <see cref="StorageCorruptException"/> refuses it.
    /// </summary>
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
        if (_shards is not null && incoming.Installer.Staged is { ShardState.Length: > 0 } staged)
        {
            // Decoded as RestoreShards will after the install: a record that does not fit refuses the snapshot here,
            // while this node keeps its state (the controller's records were checked by Verify, its extension's Check).
            _ = GroupShards.Decode(staged.ShardState, _routing!.GroupId, _routing.Configurations.Latest.ShardCount);
        }
        incoming.Configuration = info.Configuration;
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
            if (_incoming is not { Pinned: true } && _installing is null && _raft.Leader == message.From)
            {
                // The staged data is gone or partial (a restart, a leader change meanwhile) though the leader's stream
                // saw it acknowledged: its next stream resumes where the staged prefix really ends.
                var staged = _incoming is { } partial && partial.From == message.From && partial.Index == snapshot.Index && partial.Term == snapshot.Term
                    ? partial.Staged : SnapshotPosition.Start;
                SendSnapshotAck(message.From, snapshot.Index, snapshot.Term, staged, resume: true);
            }

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
    /// The core restored a snapshot that no Ready carried yet: its heavy part (the state machine's swap to the staged
    /// file, durable at once) starts through <see cref="InstallRunner"/>, off the event loop; the Ready that carries the
    /// snapshot is taken only once the swap is durable (<see cref="OnSnapshotInstalled"/>). Without a runner the swap
    /// happens here, at once. True while an install is in flight: no Ready is taken meanwhile.
    /// </summary>
    private bool InstallPending()
    {
        if (_installing is not null)
        {
            return true;
        }

        if (_raft.RestoredSnapshot is not { } restored || _installed == (restored.Index, restored.Term))
        {
            return false;
        }

        var incoming = _incoming;
        Invariant.True(incoming is { Pinned: true } && incoming.Index == restored.Index && incoming.Term == restored.Term, (incoming?.Index, restored.Index));
        _incoming = null;
        _installing = incoming;
        _installStarted = _profile.Timestamp();
        if (InstallRunner is { } runner)
        {
            runner.Run(() => incoming!.Installer.Complete());
            return true;
        }

        incoming!.Installer.Complete(); // verified when its last chunk arrived
        OnSnapshotInstalled(null);
        return false;
    }

    /// <summary>
    /// The state machine's swap to the snapshot being installed ended (<paramref name="error"/> null: it is durable);
    /// the Ready that carries the snapshot may now be taken. A failed swap stops the node: the core restored a
    /// snapshot the state machine does not hold.
    /// </summary>
    public void OnSnapshotInstalled(Exception? error)
    {
        var installing = _installing;
        Invariant.True(installing is not null, "an install reported with none in flight");
        _installing = null;
        installing!.Dispose();
        if (error is not null)
        {
            throw new StorageFailedException($"installing snapshot {installing.Index}@{installing.Term} failed; the node stops", error);
        }

        _installed = (installing.Index, installing.Term);
        _installedDirectory = ClusterMembership.DecodeDirectory(installing.Configuration); // verified when its last chunk arrived
        RestoreShards(); // the shard states are the snapshot's now
        AfterInput();
    }

    /// <summary>
    /// The Ready carries the snapshot whose swap is durable: empty the log behind it (durable with this Ready's log
    /// write). A kill between the swap and that write is repaired at start by <see cref="StorageReconciliation"/>.
    /// </summary>
    private void InstallIncomingSnapshot(SnapshotMetadata snapshot)
    {
        Invariant.True(_installed == (snapshot.Index, snapshot.Term), (_installed, snapshot.Index));
        _installed = default;
        _appliedDirectory = _installedDirectory!;
        _installedDirectory = null;
        ResetLogAfter(snapshot);
        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        Statistics.SnapshotInstalled();
        _profile.SnapshotInstalled(_profile.Timestamp() - _installStarted, _machine.LatestSnapshot?.Info.Index == snapshot.Index ? _machine.LatestSnapshot.TotalBytes : 0);
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
        var grownBytes = _log.BytesSinceCompaction - _logBytesAfterSnapshot;
        if (_snapshotInProgress || _installing is not null
            || grownBytes < SnapshotPolicy.Staggered(Math.Min(_limits.SnapshotAfterLogBytesMin, _limits.SnapshotAfterLogBytes), Id) // no snapshot size needed
            || grownBytes < SnapshotPolicy.Staggered(
                SnapshotPolicy.LogBytesBeforeSnapshot(LatestSnapshotBytes(), _limits.SnapshotAfterLogBytesMin, _limits.SnapshotAfterLogBytes), Id))
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

    // The size of the latest snapshot (taken or installed), read once per snapshot: the file's length is a stat.
    private long LatestSnapshotBytes()
    {
        if (_machine.LatestSnapshot is not { } latest)
        {
            return 0;
        }
        if (latest.Info.Index != _latestSnapshotSize.Index)
        {
            _latestSnapshotSize = (latest.Info.Index, latest.TotalBytes);
        }
        return _latestSnapshotSize.Bytes;
    }

    /// <summary>
    /// Entries kept behind a snapshot: <see cref="ServerLimits.CompactionLagEntries"/>, or the entries that about
    /// <see cref="ServerLimits.CompactionLagBytes"/> of log span at its average entry size, whichever is more.
    /// </summary>
    private long CompactionLagEntries()
    {
        var entries = _log.LastIndex - _log.FirstIndex + 1;
        if (_limits.CompactionLagBytes <= 0 || entries <= 0)
        {
            return _limits.CompactionLagEntries;
        }

        var averageEntryBytes = Math.Max(1, _log.BytesSinceCompaction / entries);
        return Math.Max(_limits.CompactionLagEntries, _limits.CompactionLagBytes / averageEntryBytes);
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
        var compactTo = Math.Min(info.Index, Math.Max(info.Index - CompactionLagEntries(), 0));
        if (compactTo >= _log.FirstIndex && _log.TryGetTerm(compactTo, out var term))
        {
            _log.CompactUntil(compactTo, term);
        }

        _logBytesAfterSnapshot = _log.BytesSinceCompaction;
        _logger.LogInformation("Node {Id} took snapshot {Index}@{Term}; log compacted to {Compacted}", Id, info.Index, info.Term, compactTo);
    }
}
