using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

/// <summary>
/// The leader's side of snapshot streaming (docs/design.md, "Snapshot streaming"): per follower the snapshot being sent
/// to it, whose window the follower's acknowledgements open; a resend of the same snapshot resumes where the follower
/// said it stands.
/// </summary>
public sealed partial class KvNode
{
    // Per follower, the snapshot being sent to it: at most one each, replaced by a newer snapshot, all abandoned when
    // this node stops leading (so bounded by the configuration's members).
    private readonly Dictionary<int, SnapshotTransfer> _transfers = new();

    /// <summary>The snapshot transfer to <paramref name="to"/>, if one is in progress (for tests and tools).</summary>
    public SnapshotTransfer? TransferTo(int to) => _transfers.GetValueOrDefault(to);

    /// <summary>The transfer of <paramref name="snapshot"/> to <paramref name="to"/>: the one in progress when it is the same snapshot.</summary>
    private SnapshotTransfer TransferFor(int to, SnapshotMetadata snapshot)
    {
        if (_transfers.TryGetValue(to, out var transfer))
        {
            if (transfer.Index == snapshot.Index && transfer.Term == snapshot.Term && !transfer.IsAbandoned)
            {
                return transfer;
            }

            transfer.Abandon();
        }

        transfer = new SnapshotTransfer(to, snapshot.Index, snapshot.Term, _limits.SnapshotWindowChunks, _limits.SnapshotWindowBytes);
        _transfers[to] = transfer;
        return transfer;
    }

    /// <summary>
    /// A follower's acknowledgement of staged chunks (already checked well-formed by <see cref="PeerMessageValidator"/>):
    /// taken only by the leader of the acknowledgement's term for a snapshot it is sending to that follower.
    /// </summary>
    private PeerCheck OnSnapshotAck(int from, in PeerMessage ack)
    {
        if (_raft.Role != Role.Leader || ack.Term != _raft.Term)
        {
            return PeerCheck.Ignore("a snapshot acknowledgement to a node that does not lead that term");
        }

        if (!_transfers.TryGetValue(from, out var transfer) || transfer.Index != ack.Index || transfer.Term != ack.LogTerm)
        {
            return PeerCheck.Ignore("a snapshot acknowledgement of no snapshot being sent to that node");
        }

        var check = transfer.OnAck(new SnapshotPosition(ack.Context, ack.RejectHint), ack.Reject);
        if (check.IsRefused)
        {
            Statistics.PeerMessageRefused();
        }

        return check;
    }

    /// <summary>This node no longer leads: every sender stops.</summary>
    private void AbandonTransfers()
    {
        foreach (var transfer in _transfers.Values)
        {
            transfer.Abandon();
        }

        _transfers.Clear();
    }

    /// <summary>The follower's side: tells the leader what is staged, and with <paramref name="resume"/> where to resume.</summary>
    private void SendSnapshotAck(int leader, long index, long term, SnapshotPosition staged, bool resume)
    {
        _peers.Send(new PeerMessage
        {
            Type = PeerMessageType.SnapshotAck,
            From = Id,
            To = leader,
            Term = _raft.Term,
            Index = index,
            LogTerm = term,
            Context = staged.Chunks,
            RejectHint = staged.Bytes,
            Reject = resume,
        });
        _peers.Flush();
    }
}
