using System.Threading.Tasks.Sources;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// One attempt of one request on one connection, and the completion its caller awaits (a reusable value-task source:
/// no task, no completion source per attempt; see <see cref="PendingRequestPool"/>). Its state moves once per use
/// from Queued to Writing then Written (the writer copies it into a socket buffer) or to Abandoned (it will never be
/// written), so that whoever gives up on it knows for sure whether it may have reached the server. Each use has a new
/// generation: the writer's queue names the generation it queued, and a stale entry (its request abandoned, the
/// object reused since) is skipped. Only the party that untracks a request from its connection completes it, once.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<ClientResponse>
{
    private const long Queued = 0;
    private const long Writing = 1;
    private const long Written = 2;
    private const long Abandoned = 3;
    private const int PhaseBits = 2;
    private const long PhaseMask = (1 << PhaseBits) - 1;

    private ManualResetValueTaskSourceCore<ClientResponse> _core = new() { RunContinuationsAsynchronously = true };
    private long _state; // generation << PhaseBits | phase
    private int _completed; // 1 once this use was completed (for the check that no use is completed twice)

    /// <summary>A request for one use (a probe's); calls draw theirs from <see cref="PendingRequestPool"/>.</summary>
    public PendingRequest(in ClientRequest request, int groupId = 0)
    {
        Start(request, groupId);
    }

    public ClientRequest Request { get; private set; }

    /// <summary>The replica group the request is for: its frame names it (group 0: the plain frame).</summary>
    public int GroupId { get; private set; }

    public ulong RequestId => Request.RequestId;

    /// <summary>This use's generation: the writer's queue entry names it.</summary>
    public uint Generation => (uint)(Volatile.Read(ref _state) >> PhaseBits);

    /// <summary>What the caller awaits: ends with the answer, the connection's loss, or the cancellation.</summary>
    public ValueTask<ClientResponse> Completion => new(this, _core.Version);

    /// <summary>Set before the completion is cancelled: true when the request was written before it was abandoned (it may have been received).</summary>
    public bool PossiblySent { get; set; }

    /// <summary>The connection it was sent on (set before the registration, which calls back into it).</summary>
    public Connection? Owner { get; set; }

    /// <summary>The registration on the caller's token (disposed by whoever awaited the completion, before it is reused).</summary>
    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Makes the request ready for a new use: a new generation, queued, not completed.</summary>
    public void Start(in ClientRequest request, int groupId)
    {
        Request = request;
        GroupId = groupId;
        PossiblySent = false;
        Owner = null;
        Registration = default;
        _core.Reset();
        _completed = 0;
        var generation = unchecked(Generation + 1); // wraps after 2^32 uses: a stale queue entry is skipped well before
        Volatile.Write(ref _state, ((long)generation << PhaseBits) | Queued);
    }

    /// <summary>Called by the writer: true when use <paramref name="generation"/> may be written (it was not abandoned, nor is the object in another use).</summary>
    public bool TryBeginWrite(uint generation)
    {
        var queued = ((long)generation << PhaseBits) | Queued;
        return Interlocked.CompareExchange(ref _state, queued + Writing, queued) == queued;
    }

    /// <summary>Called by the writer once the request's bytes are copied: from now on its caller may reuse it.</summary>
    public void EndWrite() => Interlocked.Increment(ref _state); // Writing to Written, same generation

    /// <summary>
    /// Stops the request from being written; returns true when it was written before (it may have been received). While
    /// the writer copies it, waits until it is done: whoever gives the request back to its caller (who may reuse it, and
    /// the bytes it points to) does so only once the writer no longer reads it.
    /// </summary>
    public bool AbandonAndCheckWritten()
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var state = Volatile.Read(ref _state);
            switch (state & PhaseMask)
            {
                case Queued:
                    if (Interlocked.CompareExchange(ref _state, state - Queued + Abandoned, state) == state)
                    {
                        return false;
                    }
                    continue;
                case Writing:
                    spinner.SpinOnce(); // a memory copy into the batch buffer: short
                    continue;
                default:
                    return (state & PhaseMask) == Written;
            }
        }
    }

    /// <summary>Ends this use with its answer (by the one party that untracked it).</summary>
    public void Succeed(in ClientResponse response)
    {
        MarkCompleted();
        _core.SetResult(response);
    }

    /// <summary>Ends this use with <paramref name="error"/> (by the one party that untracked it).</summary>
    public void Fail(Exception error)
    {
        MarkCompleted();
        _core.SetException(error);
    }

    private void MarkCompleted() => Invariant.True(Interlocked.Exchange(ref _completed, 1) == 0); // a use is completed once

    ClientResponse IValueTaskSource<ClientResponse>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ClientResponse>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<ClientResponse>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// Pending requests to reuse, shared by every connection of a client: at most <c>capacity</c> kept (a connection's most
/// requests in flight). A request comes back only after its caller has its outcome and has disposed its registration: nothing else
/// holds it then but stale entries of a writer's queue, which its generation makes the writer skip.
/// </summary>
internal sealed class PendingRequestPool(int capacity)
{
    private readonly Stack<PendingRequest> _idle = new(); // locked by itself; grows to the most requests in flight at once

    /// <summary>A request ready for <paramref name="request"/>: reused when one is idle.</summary>
    public PendingRequest Rent(in ClientRequest request, int groupId)
    {
        PendingRequest? reused;
        lock (_idle)
        {
            _idle.TryPop(out reused);
        }
        if (reused is null)
        {
            return new PendingRequest(request, groupId);
        }
        reused.Start(request, groupId);
        return reused;
    }

    /// <summary>Takes back a request whose caller has its outcome and disposed its registration.</summary>
    public void Return(PendingRequest request)
    {
        lock (_idle)
        {
            if (_idle.Count < capacity)
            {
                _idle.Push(request);
            }
        }
    }
}

/// <summary>The connection closed before the answer came. <see cref="PossiblySent"/> tells whether the request may have reached the server.</summary>
internal sealed class ConnectionLostException : Exception
{
    public ConnectionLostException(string endpoint, bool possiblySent, Exception? inner)
        : base($"connection to {endpoint} lost" + (inner is null ? "" : ": " + inner.Message), inner)
    {
        PossiblySent = possiblySent;
    }

    public bool PossiblySent { get; }
}
