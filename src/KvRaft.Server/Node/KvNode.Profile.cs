using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

/// <summary>
/// The stage profile of the leader's writes and of the reads a node serves (see <see cref="INodeProfile"/>):
/// timestamps per batch, not per request, taken from the host's clock when a batch or a watermark moves. A stage ends
/// at the later of its own mark and the end of the stage before it, so the stages of a request add up to its time
/// from received to replied.
/// </summary>
public sealed partial class KvNode
{
    /// <summary>A write batch applied this Ready, waiting for its answers' flush to close its last stage.</summary>
    private readonly record struct AppliedWrites(WriteMarks Marks, long Committed, long Applied, int Requests);

    /// <summary>A read batch released this Ready, waiting for its answers' flush.</summary>
    private readonly record struct ReleasedReads(long Released, int Requests);

    private readonly INodeProfile _profile;
    private readonly WriteStageMarks _writeMarks = new();
    private readonly List<AppliedWrites> _appliedWrites = new(); // reused every Ready
    private readonly List<ReleasedReads> _releasedReads = new(); // reused every Ready
    private long _readsReleased; // timestamp of the current Ready's read release (0: none yet)

    private void MarkWritesPersisted(long lastIndex)
    {
        if (_writeMarks.NextUnpersisted <= lastIndex)
        {
            _writeMarks.Persisted(lastIndex, _profile.Timestamp());
        }
    }

    private void MarkWritesAcknowledged()
    {
        if (_writeMarks.NextUnacknowledged <= _raft.Committed)
        {
            _writeMarks.Acknowledged(_raft.Committed, _profile.Timestamp());
        }
    }

    /// <summary>The writers of the proposal at <paramref name="index"/> were answered: their queue stage is known now, the rest at the flush.</summary>
    private void MarkWritesApplied(long index, ReadOnlySpan<Writer> writers, long committed, long applied)
    {
        if (!_writeMarks.TryTake(index, out var marks))
        {
            return;
        }

        foreach (var writer in writers)
        {
            _profile.WriteStage(WriteStage.Queue, Math.Max(0, marks.Proposed - writer.Received), 1);
        }

        _appliedWrites.Add(new AppliedWrites(marks, committed, applied, writers.Length));
    }

    /// <summary>The read indexes of these reads became known (this Ready reports them): their read_index stage ends now.</summary>
    private void MarkReadsConfirmed(IReadOnlyList<ReadState> confirmed)
    {
        if (confirmed.Count == 0)
        {
            return;
        }

        var now = _profile.Timestamp();
        for (var i = 0; i < confirmed.Count; i++) // no foreach: it would box an enumerator
        {
            ref var batch = ref CollectionsMarshal.GetValueRefOrNullRef(_readBatches, confirmed[i].Context);
            if (!Unsafe.IsNullRef(ref batch))
            {
                batch = batch with { Confirmed = now };
            }
        }
    }

    private void MarkReadReleased(in ReadBatch batch)
    {
        if (_readsReleased == 0)
        {
            _readsReleased = _profile.Timestamp();
        }

        foreach (var reader in batch.Span)
        {
            _profile.ReadStage(ReadStage.Queue, Math.Max(0, batch.Requested - reader.Received), 1);
        }

        var confirmed = Math.Max(batch.Requested, batch.Confirmed);
        var released = Math.Max(confirmed, _readsReleased);
        _profile.ReadStage(ReadStage.ReadIndex, confirmed - batch.Requested, batch.Count);
        _profile.ReadStage(ReadStage.ApplyWait, released - confirmed, batch.Count);
        _releasedReads.Add(new ReleasedReads(released, batch.Count));
    }

    /// <summary>This Ready's answers were flushed: the remaining stages of its batches end now.</summary>
    private void MarkReplied()
    {
        _readsReleased = 0;
        if (_appliedWrites.Count == 0 && _releasedReads.Count == 0)
        {
            return;
        }

        var replied = _profile.Timestamp();
        foreach (var batch in _appliedWrites)
        {
            RecordWriteStages(batch, replied);
        }

        foreach (var batch in _releasedReads)
        {
            _profile.ReadStage(ReadStage.Reply, Math.Max(0, replied - batch.Released), batch.Requests);
        }

        _appliedWrites.Clear();
        _releasedReads.Clear();
    }

    private void RecordWriteStages(in AppliedWrites batch, long replied)
    {
        var stageStart = batch.Marks.Proposed;
        stageStart = RecordWriteStage(WriteStage.Persist, stageStart, batch.Marks.Persisted, batch.Requests);
        stageStart = RecordWriteStage(WriteStage.Replicate, stageStart, batch.Marks.Acknowledged, batch.Requests);
        stageStart = RecordWriteStage(WriteStage.Commit, stageStart, batch.Committed, batch.Requests);
        stageStart = RecordWriteStage(WriteStage.Apply, stageStart, batch.Applied, batch.Requests);
        RecordWriteStage(WriteStage.Reply, stageStart, replied, batch.Requests);
    }

    /// <summary>Records the stage from <paramref name="start"/> to its mark (or nothing, if the mark came first); returns its end.</summary>
    private long RecordWriteStage(WriteStage stage, long start, long mark, int requests)
    {
        var end = Math.Max(start, mark);
        _profile.WriteStage(stage, end - start, requests);
        return end;
    }
}
