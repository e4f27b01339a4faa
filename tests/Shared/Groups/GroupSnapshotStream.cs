// Goal: a leader of a group of a GroupedCluster streaming a snapshot to a lagging replica as the production sender does
// (SnapshotSender: one connection, a flow-controlled window, resumable); method: each step sends what the transfer's
// window allows through the network (in order, after the network's delay, lost on a cut), moves where the follower asks
// to resume, sends the Snapshot message once every chunk is acknowledged; an attempt breaks part-way at a drawn chunk
// (as often as frames are lost), on a cut, when the follower is down or when no acknowledgement comes for StallSteps.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Testing.Groups;

/// <summary>One attempt of <see cref="SnapshotTransfer"/> from a process's replica of a group to another's.</summary>
internal sealed class GroupSnapshotStream
{
    /// <summary>Steps without an acknowledgement after which the attempt fails (four election timeouts, as the production sender's stall timeout).</summary>
    public const int StallSteps = 120;

    private readonly GroupedCluster _cluster;
    private readonly int _from;
    private readonly int _to;
    private readonly int _group;
    private readonly GroupReplicas _sender; // the incarnation that asked: a crash ends the attempt silently
    private readonly PeerMessage _metadata;
    private readonly SnapshotTransfer _transfer;
    private readonly SnapshotAttempt _attempt;
    private long _lastDue; // chunks and the message arrive in the order sent

    public GroupSnapshotStream(GroupedCluster cluster, int from, int group, in PeerMessage metadata, ISnapshotSource snapshot, SnapshotTransfer transfer)
    {
        (_cluster, _from, _to, _group, _transfer) = (cluster, from, metadata.To, group, transfer);
        var frame = new byte[GroupFrameCodec.FrameSize(group, metadata)];
        GroupFrameCodec.FormatFrame(group, metadata, frame);
        _metadata = GroupNetwork.Decode(frame).Message; // as the follower reads it (the sender reuses its buffers)
        _sender = cluster.Process(from).Replicas!;
        _attempt = new SnapshotAttempt(snapshot, transfer, chunks => cluster.Random.NextDouble() < cluster.Network.DropChance ? cluster.Random.Next(chunks + 1) : long.MaxValue);
    }

    /// <summary>True once the attempt ended (its outcome reported, or its sender gone).</summary>
    public bool Ended { get; private set; }

    /// <summary>One step of the attempt.</summary>
    public void Step()
    {
        if (_cluster.Process(_from).Replicas != _sender)
        {
            Ended = true; // the sender crashed: nobody waits for the outcome
            return;
        }
        if (_transfer.IsAbandoned || BrokenOrStalled())
        {
            Report(delivered: false);
            return;
        }
        if (_attempt.SendWindow(chunk => Send(replicas => replicas.OnSnapshotChunk(_group, _from, chunk))))
        {
            var metadata = _metadata;
            Send(replicas => replicas.OnPeerMessage(_group, _from, metadata));
            Report(delivered: true);
        }
    }

    private bool BrokenOrStalled() =>
        _cluster.Network.IsCut(_from, _to, _group) || _cluster.Process(_to).Replicas is null || _attempt.BrokenPartWay || _attempt.Stalled(StallSteps);

    /// <summary>A chunk or the Snapshot message to the follower, after everything this attempt sent before it.</summary>
    private void Send(Func<GroupReplicas, PeerCheck> input)
    {
        _lastDue = Math.Max(_lastDue, _cluster.Step + 1 + _cluster.Random.Next(_cluster.Network.DelayStepsMax + 1));
        _cluster.Network.Schedule(_lastDue, _from, _to, _group, input);
    }

    private void Report(bool delivered)
    {
        Ended = true;
        if (!delivered)
        {
            _cluster.Snapshots!.StreamsBroken++;
        }
        var (to, group, sender) = (_to, _group, _sender);
        _cluster.Process(_from).Input(replicas =>
        {
            if (replicas == sender)
            {
                replicas[group].OnSnapshotSent(to, delivered);
            }
        });
    }
}
