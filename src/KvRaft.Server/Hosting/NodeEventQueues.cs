using System.Collections.Concurrent;
using System.Threading.Channels;

namespace KvRaft.Server.Hosting;

/// <summary>
/// What waits for the event loop, in three queues so that no kind of input can crowd out another: control
/// events (disconnects, disk and snapshot completions, Stop) are never dropped; peer messages and snapshot chunks
/// have their own bounded queue, so a flood of client requests never drops a heartbeat or a vote; client requests
/// have a bounded queue of their own, and one that finds it full is refused (the caller answers Retryable).
/// A turn takes control events first, then peer events, then client requests.
/// </summary>
internal sealed class NodeEventQueues
{
    // Unbounded in type, bounded in fact: each connection disconnects once (connections are capped by the
    // listeners), completions are one per commit or snapshot in flight, and Stop is posted once.
    private readonly ConcurrentQueue<NodeEvent> _control = new();
    private readonly Channel<NodeEvent> _peer;
    private readonly Channel<NodeEvent> _client;
    private long _peerEventsDropped;

    /// <param name="peerCapacity">Peer messages and snapshot chunks waiting at most; more are dropped (Raft retransmits).</param>
    /// <param name="clientCapacity">Client requests waiting at most; more are refused.</param>
    public NodeEventQueues(int peerCapacity, int clientCapacity)
    {
        _peer = Bounded(peerCapacity);
        _client = Bounded(clientCapacity);
    }

    /// <summary>Peer events dropped because their queue was full.</summary>
    public long PeerEventsDropped => Interlocked.Read(ref _peerEventsDropped);

    /// <summary>Queues <paramref name="item"/> by its kind; false only for a peer or client event whose queue is full.</summary>
    public bool TryPost(in NodeEvent item)
    {
        switch (item.Kind)
        {
            case NodeEventKind.PeerMessage or NodeEventKind.SnapshotChunk:
                if (_peer.Writer.TryWrite(item))
                {
                    return true;
                }

                Interlocked.Increment(ref _peerEventsDropped);
                return false;
            case NodeEventKind.ClientRequest:
                return _client.Writer.TryWrite(item);
            default:
                _control.Enqueue(item);
                return true;
        }
    }

    /// <summary>Takes the next control event (loop thread only).</summary>
    public bool TryTakeControl(out NodeEvent item) => _control.TryDequeue(out item);

    /// <summary>Takes the next peer event (loop thread only).</summary>
    public bool TryTakePeer(out NodeEvent item) => _peer.Reader.TryRead(out item);

    /// <summary>Takes the next client request (loop thread only).</summary>
    public bool TryTakeClient(out NodeEvent item) => _client.Reader.TryRead(out item);

    /// <summary>Events waiting now, per queue (any thread: the counts are read atomically, not as one snapshot).</summary>
    public Metrics.EventQueueDepths Depths => new(_control.Count, _peer.Reader.Count, _client.Reader.Count, PeerEventsDropped);

    /// <summary>True when any queue holds an event.</summary>
    public bool HasPending => !_control.IsEmpty || _peer.Reader.TryPeek(out _) || _client.Reader.TryPeek(out _);

    private static Channel<NodeEvent> Bounded(int capacity) => Channel.CreateBounded<NodeEvent>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        // Wait, not DropWrite: with DropWrite TryWrite drops the item and still returns true, so a full queue went unnoticed.
        FullMode = BoundedChannelFullMode.Wait,
    });
}
