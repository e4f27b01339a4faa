namespace KvRaft.Server.Node;

/// <summary>The stages of a write at the leader, in order; each ends where the next begins.</summary>
public enum WriteStage
{
    /// <summary>Received (read off the socket) until proposed (the end of the event-loop turn that batched it).</summary>
    Queue,
    /// <summary>Proposed until durable in the leader's own log.</summary>
    Persist,
    /// <summary>Durable here until acknowledged by a quorum (the leader's commit index covers it); 0 when the quorum came first.</summary>
    Replicate,
    /// <summary>Acknowledged until handed out committed by a Ready, to apply.</summary>
    Commit,
    /// <summary>The state machine's apply of the Ready's committed entries.</summary>
    Apply,
    /// <summary>Applied until the answers were flushed to the client connections.</summary>
    Reply,
}

/// <summary>
/// The stages of a linearizable read at the node that serves it, in order. At the leader the read index is its commit
/// index, confirmed by a heartbeat round (or the lease); at a follower it is asked of the leader (a ReadIndex round
/// trip, the leader's confirmation included), and the follower then waits until it has applied that index itself.
/// </summary>
public enum ReadStage
{
    /// <summary>Received until its read index was requested (the end of the event-loop turn that batched it).</summary>
    Queue,
    /// <summary>
    /// Requested until the read index was confirmed: a quorum answered a heartbeat round started after the request
    /// (or the lease held), and at a follower the leader's answer arrived (the Ready that reports it). A new leader
    /// first commits an entry of its term.
    /// </summary>
    ReadIndex,
    /// <summary>
    /// Confirmed until this node's state machine had applied the read index and the core released the read. At the
    /// leader ~0 (it applies what it commits in the Ready that hands it out), unless a quorum of followers committed
    /// entries before its own log write ended (it applies only entries durable here); at a follower, its lag behind
    /// the leader's commit index.
    /// </summary>
    ApplyWait,
    /// <summary>Released until the values were read and the answers flushed.</summary>
    Reply,
}

/// <summary>
/// Where the node takes the timestamps of its stage profile and hands what it measured: the host's monotonic clock
/// and its histograms. The node only stores and subtracts these timestamps: no decision of the node depends on
/// them, so it stays deterministic (the simulator runs it with <see cref="NoNodeProfile"/>, whose clock is 0).
/// </summary>
public interface INodeProfile
{
    /// <summary>The host's monotonic timestamp now (<see cref="System.Diagnostics.Stopwatch"/> units in production).</summary>
    long Timestamp();

    /// <summary><paramref name="requests"/> writes spent <paramref name="elapsed"/> timestamp units in <paramref name="stage"/>.</summary>
    void WriteStage(WriteStage stage, long elapsed, int requests);

    /// <summary><paramref name="requests"/> reads spent <paramref name="elapsed"/> timestamp units in <paramref name="stage"/>.</summary>
    void ReadStage(ReadStage stage, long elapsed, int requests);

    /// <summary>The state machine applied <paramref name="commands"/> commands in one pass taking <paramref name="elapsed"/>.</summary>
    void Applied(long elapsed, int commands);

    /// <summary>A snapshot of <paramref name="bytes"/> received from the leader was installed in <paramref name="elapsed"/>.</summary>
    void SnapshotInstalled(long elapsed, long bytes);
}

/// <summary>No profile: the clock is always 0 and nothing is recorded (the simulator; a node without metrics).</summary>
public sealed class NoNodeProfile : INodeProfile
{
    /// <summary>The one instance.</summary>
    public static NoNodeProfile Instance { get; } = new();

    private NoNodeProfile()
    {
    }

    /// <inheritdoc/>
    public long Timestamp() => 0;

    /// <inheritdoc/>
    public void WriteStage(WriteStage stage, long elapsed, int requests)
    {
    }

    /// <inheritdoc/>
    public void ReadStage(ReadStage stage, long elapsed, int requests)
    {
    }

    /// <inheritdoc/>
    public void Applied(long elapsed, int commands)
    {
    }

    /// <inheritdoc/>
    public void SnapshotInstalled(long elapsed, long bytes)
    {
    }
}
