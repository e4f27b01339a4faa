using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// One attempt of one request on one connection. Its state moves once from Queued to Written (the
/// writer copied it into a socket buffer) or to Abandoned (it will never be written), so that
/// whoever gives up on it knows for sure whether it may have reached the server.
/// </summary>
internal sealed class PendingRequest
{
    private const int Queued = 0;
    private const int Written = 1;
    private const int Abandoned = 2;
    private int _state;

    public PendingRequest(in ClientRequest request, int groupId = 0)
    {
        Request = request;
        GroupId = groupId;
    }

    public ClientRequest Request { get; }

    /// <summary>The replica group the request is for: its frame names it (group 0: the plain frame).</summary>
    public int GroupId { get; }

    public ulong RequestId => Request.RequestId;

    public TaskCompletionSource<ClientResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set before the completion is cancelled: true when the request was written before it was abandoned (it may have been received).</summary>
    public bool PossiblySent { get; set; }

    /// <summary>The connection it was sent on (set before the registration, which calls back into it).</summary>
    public Connection? Owner { get; set; }

    /// <summary>The registration on the caller's token (disposed by whoever awaited the completion).</summary>
    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Called by the writer: true when the request may be written (it was not abandoned).</summary>
    public bool TryMarkWritten() => Interlocked.CompareExchange(ref _state, Written, Queued) == Queued;

    /// <summary>Stops the request from being written; returns true when it was written before (it may have been received).</summary>
    public bool AbandonAndCheckWritten()
    {
        Interlocked.CompareExchange(ref _state, Abandoned, Queued);
        return Volatile.Read(ref _state) == Written;
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
