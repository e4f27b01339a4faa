using KvRaft.Protocol;
using KvRaft.Storage;
using SnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Hosting;

/// <summary>What reaches the event loop from other threads.</summary>
internal enum NodeEventKind : byte
{
    PeerMessage,
    SnapshotChunk,
    PeerDisconnected,
    ClientRequest,
    ClientDisconnected,
    Persisted,
    PersistFailed,
    SnapshotSent,
    SnapshotTaken,
    SnapshotInstalled,
    HandOver,
    LogFetched,
    ShardExported,
    Stop,
}

/// <summary>One event; a struct so that queueing it allocates nothing.</summary>
internal readonly struct NodeEvent
{
    public NodeEventKind Kind { get; init; }
    /// <summary>The replica group the event is for (a process hosting several groups; 0 otherwise).</summary>
    public int Group { get; init; }
    public int NodeId { get; init; }
    public long ConnectionId { get; init; }
    public ulong ClientIdentity { get; init; }
    public bool Flag { get; init; }
    public PeerMessage PeerMessage { get; init; }
    public SnapshotChunk Chunk { get; init; }
    public ClientRequest Request { get; init; }
    /// <summary>When a client request was read off its connection (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long Received { get; init; }
    public SnapshotInfo? SnapshotInfo { get; init; }
    public Exception? Error { get; init; }
    public TaskCompletionSource<int>? HandOver { get; init; }
    /// <summary>A background log read that ended (<see cref="NodeEventKind.LogFetched"/>), its entries in <see cref="Entries"/>.</summary>
    public Node.LogFetch Fetch { get; init; }
    public List<LogEntry>? Entries { get; init; }
    /// <summary>A background shard export that ended (<see cref="NodeEventKind.ShardExported"/>; one reference: the struct stays small).</summary>
    public ShardExportResult? Exported { get; init; }
}

/// <summary>An export the node asked for and its chunk (null when the store was replaced under it).</summary>
internal sealed record ShardExportResult(Node.ShardExport Export, ShardChunk? Chunk);

/// <summary>Where background work and the transports post events for the loop: a node's host, or a host of several groups.</summary>
internal interface IEventSink
{
    /// <summary>Queues <paramref name="item"/> for the loop; false when a peer or client event finds its queue full.</summary>
    bool Post(in NodeEvent item);
}

/// <summary>A hand-over request posted to a loop (NodeHost's one group, GroupHost's every group).</summary>
internal static class HandOverRequest
{
    /// <summary>Posts a HandOver event to <paramref name="sink"/>; its task completes with 0 if the loop stops first.</summary>
    public static Task<int> Post(IEventSink sink, Task stopped)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.Post(new NodeEvent { Kind = NodeEventKind.HandOver, HandOver = done });
        _ = stopped.ContinueWith(_ => done.TrySetResult(0), TaskScheduler.Default); // a stopped loop answers no more
        return done.Task;
    }
}
