// Goal: a scriptable KvRaft server for client tests. Method: a TcpListener on 127.0.0.1 port 0 speaking the protocol through the Protocol codecs; each test scripts answers per request.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

/// <summary>What the fake does with one request.</summary>
internal enum FakeAction
{
    /// <summary>Execute it on the store and answer.</summary>
    Apply,
    /// <summary>Answer with the reply's status (not applied).</summary>
    Answer,
    /// <summary>Execute it on the store, then close the connection without answering.</summary>
    ApplyThenDrop,
    /// <summary>Close the connection without executing or answering.</summary>
    Drop,
    /// <summary>Never answer.</summary>
    Hold,
}

/// <summary>A scripted reaction to one request.</summary>
internal sealed record FakeReply(FakeAction Action, ClientStatus Status = ClientStatus.Ok, string? LeaderAddress = null, bool LeaderKnown = false)
{
    /// <summary>WrongGroup: the refusing group's configuration number; Ok ShardQuery: the configuration answered.</summary>
    public long ConfigurationNumber { get; init; }

    public KvRaft.Protocol.Sharding.ShardConfiguration? Configuration { get; init; }

    public static FakeReply WrongGroup(long configurationNumber) => new(FakeAction.Answer, ClientStatus.WrongGroup) { ConfigurationNumber = configurationNumber };

    public static FakeReply Query(KvRaft.Protocol.Sharding.ShardConfiguration configuration) => new(FakeAction.Answer, ClientStatus.Ok) { Configuration = configuration };

    public static FakeReply Apply { get; } = new(FakeAction.Apply);
    public static FakeReply Drop { get; } = new(FakeAction.Drop);
    public static FakeReply ApplyThenDrop { get; } = new(FakeAction.ApplyThenDrop);
    public static FakeReply Hold { get; } = new(FakeAction.Hold);
    public static FakeReply With(ClientStatus status) => new(FakeAction.Answer, status);
    public static FakeReply NotLeader(string? leader) => new(FakeAction.Answer, ClientStatus.NotLeader, leader, leader is not null);
}

/// <summary>A request as the fake received it (bytes copied).</summary>
internal sealed record SeenRequest(int Connection, ulong RequestId, ClientOp Op, ulong ClientId, ulong Sequence, string Key, int Group = 0)
{
    public bool IsWrite => Op is ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet;
}

/// <summary>
/// A fake server. <see cref="Script"/> decides per request (null: apply on the store). With
/// <see cref="ShuffleReplies"/>, the answers to the requests of one received chunk go back shuffled.
/// It records every request, and whether a session ever had two different writes outstanding.
/// </summary>
internal sealed partial class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Socket> _sockets = new();
    private readonly Dictionary<ulong, ulong> _outstanding = new();
    private readonly Lock _outstandingLock = new();
    private readonly Task _accepting;
    private int _connections;
    private int _overlaps;

    public FakeServer(FakeStore? store = null)
    {
        Store = store ?? new FakeStore();
        _listener.Start();
        Endpoint = "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public string Endpoint { get; }

    public FakeStore Store { get; }

    public Func<ClientRequest, FakeReply?>? Script { get; set; }

    /// <summary>Decides per request and replica group (the group a GroupClientRequest frame names; 0 for the plain frame); before <see cref="Script"/>.</summary>
    public Func<int, ClientRequest, FakeReply?>? GroupScript { get; set; }

    public bool ShuffleReplies { get; set; }

    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Times a write arrived while another write (another sequence) of its session was unanswered.</summary>
    public int SessionOverlaps => Volatile.Read(ref _overlaps);

    public IReadOnlyList<SeenRequest> SeenOps(ClientOp op) => Seen.Where(seen => seen.Op == op).ToList();

    /// <summary>Closes every connection from the server's side, as a server's idle timeout does.</summary>
    public void CloseConnections()
    {
        foreach (var socket in _sockets.Values)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets.Values)
        {
            socket.Dispose();
        }
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            var number = Interlocked.Increment(ref _connections);
            _sockets[number] = socket;
            _ = Task.Run(() => ServeAsync(socket, number));
        }
    }

    private FakeReply Handle(int group, in ClientRequest request, int connection, List<ClientResponse> replies)
    {
        var seen = new SeenRequest(connection, request.RequestId, request.Op, request.ClientId, request.Sequence, Encoding.UTF8.GetString(request.Key.Span), group);
        Seen.Enqueue(seen);
        if (seen.IsWrite)
        {
            Track(seen);
        }
        var reply = GroupScript?.Invoke(group, request) ?? Script?.Invoke(request) ?? FakeReply.Apply;
        if (reply.Action is FakeAction.Apply or FakeAction.ApplyThenDrop)
        {
            var response = Store.Execute(request);
            if (reply.Action == FakeAction.Apply)
            {
                replies.Add(response);
            }
        }
        else if (reply.Action == FakeAction.Answer)
        {
            replies.Add(Refusal(request, reply));
        }
        if (seen.IsWrite && reply.Action != FakeAction.Hold)
        {
            Untrack(seen);
        }
        return reply;
    }

    private static ClientResponse Refusal(in ClientRequest request, FakeReply reply)
    {
        var response = new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = reply.Status };
        return reply.Status switch
        {
            ClientStatus.NotLeader => response with { LeaderKnown = reply.LeaderKnown, LeaderId = reply.LeaderKnown ? 2 : 0, LeaderAddress = reply.LeaderAddress },
            ClientStatus.Retryable or ClientStatus.InvalidArgument or ClientStatus.InternalError or ClientStatus.TooLarge
                or ClientStatus.SessionNotOwned or ClientStatus.TooManySessions => response with { Message = "scripted " + reply.Status },
            ClientStatus.WrongGroup => response with { ConfigurationNumber = reply.ConfigurationNumber },
            ClientStatus.Ok => response with { Configuration = reply.Configuration },
            _ => response,
        };
    }

    private void Track(SeenRequest seen)
    {
        lock (_outstandingLock)
        {
            if (_outstanding.TryGetValue(seen.ClientId, out var sequence) && sequence != seen.Sequence)
            {
                Interlocked.Increment(ref _overlaps);
            }
            _outstanding[seen.ClientId] = seen.Sequence;
        }
    }

    private void Untrack(SeenRequest seen)
    {
        lock (_outstandingLock)
        {
            _outstanding.Remove(seen.ClientId);
        }
    }
}
