using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Testing.Groups;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Simulation;

/// <summary>
/// One attempt of a leader streaming a snapshot to a follower, as the production sender does it over one connection:
/// every tick it sends what the transfer's window allows (chunks arrive in order), moves where the follower asks to
/// resume, and once the follower acknowledged the whole file sends the Snapshot message. It breaks part-way at times
/// (drawn at the start), on a cut, when the follower is down, or when no acknowledgement came for
/// <see cref="StallTicks"/>; the next attempt resumes at the last acknowledged chunk.
/// </summary>
internal sealed class SimSnapshotStream
{
    /// <summary>Ticks without an acknowledgement after which the attempt fails (the production sender's stall timeout).</summary>
    public const int StallTicks = 4 * Simulation.ElectionTicks;

    private readonly Simulation _simulation;
    private readonly int _from;
    private readonly int _to;
    private readonly KvNode _sender; // the incarnation that asked: a crash ends the attempt silently
    private readonly PeerMessage _metadata;
    private readonly ISnapshotSource _snapshot;
    private readonly SnapshotTransfer _transfer;
    private readonly SnapshotAttempt _attempt;
    private long _lastDeliveryTick; // chunks and the message arrive in the order sent

    public SimSnapshotStream(Simulation simulation, int from, in PeerMessage metadata, ISnapshotSource snapshot, SnapshotTransfer transfer)
    {
        (_simulation, _from, _to, _metadata, _snapshot, _transfer) = (simulation, from, metadata.To, metadata, snapshot, transfer);
        _sender = simulation.Host(from).Node!;
        var random = simulation.Random;
        _attempt = new SnapshotAttempt(snapshot, transfer, chunks => random.Chance(simulation.Network.DropProbability) ? random.Next(chunks + 1) : long.MaxValue);
    }

    /// <summary>Starts the attempt: its first step runs next tick.</summary>
    public void Start() => _simulation.Network.ScheduleAt(_simulation.Tick + 1, Step);

    private void Step()
    {
        if (_simulation.Host(_from).Node != _sender)
        {
            return; // the sender crashed: nobody waits for the outcome
        }

        if (_transfer.IsAbandoned || BrokenOrStalled())
        {
            Report(delivered: false);
            return;
        }
        if (_attempt.SendWindow(chunk => Deliver(default, chunk)))
        {
            Deliver(_simulation.Network.ParsedCopy(_metadata), chunk: null);
            Report(delivered: true);
            return;
        }
        _simulation.Network.ScheduleAt(_simulation.Tick + 1, Step);
    }

    private bool BrokenOrStalled()
    {
        if (_simulation.Network.IsCut(_from, _to) || !_simulation.Host(_to).IsUp || _attempt.BrokenPartWay)
        {
            _simulation.Trace($"snapshot stream n{_from}->n{_to} {_snapshot.Info.Index}: broken after {_attempt.Sent} chunks (acknowledged {_transfer.Acknowledged.Chunks}/{_attempt.ChunkCount})");
            return true;
        }
        return _attempt.Stalled(StallTicks);
    }

    /// <summary>A chunk, or the Snapshot message, to the follower: after everything this attempt sent before it.</summary>
    private void Deliver(PeerMessage message, WireSnapshotChunk? chunk)
    {
        var network = _simulation.Network;
        _lastDeliveryTick = Math.Max(_lastDeliveryTick, _simulation.Tick + 1 + _simulation.Random.Next(network.DelayTicksMax));
        var (from, to, host) = (_from, _to, _simulation.Host(_to));
        network.ScheduleAt(_lastDeliveryTick, () =>
        {
            if (network.IsCut(from, to))
            {
                return;
            }

            if (chunk is { } data)
            {
                host.Deliver(node => host.OnPeerInput(from, node.OnSnapshotChunk(from, data)));
            }
            else
            {
                host.Deliver(node => host.OnPeerInput(from, node.OnPeerMessage(from, message)));
            }
        });
    }

    private void Report(bool delivered)
    {
        var (to, sender) = (_to, _sender);
        _simulation.Trace($"snapshot stream n{_from}->n{to} {_snapshot.Info.Index}@{_snapshot.Info.Term}: {(delivered ? "delivered" : "failed")} after {_transfer.ChunksSent} chunks sent in {_transfer.Attempts} attempts");
        _simulation.Host(_from).Deliver(node =>
        {
            if (node == sender)
            {
                node.OnSnapshotSent(to, delivered);
            }
        });
    }
}
