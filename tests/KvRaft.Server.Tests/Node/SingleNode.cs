// Goal: a one-node KvNode to talk to as a client would, for tests of the client contract; method: the in-memory log and state machine twins, each turn a tick then every Ready handled with its log write durable at once, every answer recorded (the request's value memory copied).
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

/// <summary>A one-node cluster, elected, whose answers are kept by request id.</summary>
internal sealed class SingleNode
{
    private readonly Dictionary<ulong, ClientResponse> _answers = [];
    private ulong _nextRequestId = 1;

    public SingleNode(ServerLimits? limits = null, StorageLimits? storage = null)
    {
        Machine = new MemoryKvStateMachine(storage);
        Node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
            Voters = [1],
            Seed = 1,
            Limits = limits ?? new ServerLimits(),
        }, Log, Machine, new NoPeers(), new Outbox(_answers), NullLogger.Instance);
        for (var i = 0; i < 100 && Node.RaftStatus.Role != Role.Leader; i++)
        {
            Turn();
        }

        Assert.Equal(Role.Leader, Node.RaftStatus.Role);
    }

    public MemoryRaftLogStore Log { get; } = new();

    public MemoryKvStateMachine Machine { get; }

    public KvNode Node { get; }

    /// <summary>Sends <paramref name="request"/> (a fresh request id) without a turn, as a connection of <paramref name="identity"/>; returns its request id.</summary>
    public ulong Send(ClientRequest request, ulong identity = 0)
    {
        var id = _nextRequestId++;
        Node.OnClientRequest(1, request with { RequestId = id }, identity);
        return id;
    }

    /// <summary>Sends <paramref name="request"/> as a connection of <paramref name="identity"/>, runs a turn, returns its answer.</summary>
    public ClientResponse Call(ClientRequest request, ulong identity = 0)
    {
        var id = Send(request, identity);
        Turn();
        return Answer(id);
    }

    public ClientResponse Answer(ulong requestId) =>
        _answers.TryGetValue(requestId, out var response) ? response : throw new InvalidOperationException($"request {requestId} has no answer");

    /// <summary>Registers a session and returns its id.</summary>
    public ulong Register(ulong identity = 0)
    {
        var response = Call(new ClientRequest { Op = ClientOp.RegisterSession }, identity);
        Assert.Equal(ClientStatus.Ok, response.Status);
        return response.ClientId;
    }

    public void Turn() => Turn(Node, Log);

    /// <summary>
    /// One tick and turn of a lone node whose memory log commits at once: every Ready taken, every write durable; and the
    /// turns that follow at once while the node defers applies to them (as the host schedules them).
    /// </summary>
    public static void Turn(KvNode node, MemoryRaftLogStore log)
    {
        node.OnTick();
        do
        {
            TurnWithoutTick(node, log);
        }
        while (node.ApplyDeferred);
    }

    /// <summary>One turn, no tick: the end of the node's turn, then its Readies up to its apply budget, every write durable at once.</summary>
    public static void TurnWithoutTick(KvNode node, MemoryRaftLogStore log)
    {
        node.EndTurn();
        while (node.TryAcceptReady(out var mustCommit))
        {
            if (!mustCommit)
            {
                continue;
            }

            Assert.True(log.CommitAsync().IsCompletedSuccessfully);
            node.OnLogWriteDurable();
        }
    }

    private sealed class Outbox(Dictionary<ulong, ClientResponse> answers) : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) =>
            answers[response.RequestId] = response with { Value = response.Value.ToArray() };

        public void Flush() { }
    }
}
