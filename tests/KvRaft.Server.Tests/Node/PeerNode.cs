// Goal: one KvNode of voters {1, 2, 3} over the in-memory storage twins, driven by hand as a peer would drive it, for
// the tests of hostile peer input; method: messages go in through the node's public entry points, every Ready is
// taken and its log write reported durable at once, everything the node sends is recorded; the snapshot staging
// folder is a temporary folder removed on dispose.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

/// <summary>Node <see cref="Id"/> of voters {1, 2, 3}, its log holding entries 1..ownEntries of term 1 (all committed).</summary>
internal sealed class PeerNode : IDisposable
{
    public static readonly int[] Voters = [1, 2, 3];

    public PeerNode(int id, int ownEntries, ServerLimits? limits = null, INodeProfile? profile = null, ILogger? logger = null)
    {
        Id = id;
        Log = new MemoryRaftLogStore();
        Machine = new MemoryKvStateMachine();
        var entries = new LogEntry[ownEntries];
        for (var i = 0; i < ownEntries; i++)
        {
            entries[i] = new LogEntry(i + 1, 1, (byte)Raft.EntryType.NoOp, ReadOnlyMemory<byte>.Empty);
        }

        Log.Append(entries, new Storage.HardState(1, 0, ownEntries));
        Log.CommitAsync().AsTask().GetAwaiter().GetResult();
        Node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(id, Voters.ToDictionary(v => v, v => $"127.0.0.1:{8000 + v}")),
            Voters = Voters,
            Seed = (ulong)id,
            Limits = limits ?? new ServerLimits(),
            Profile = profile ?? NoNodeProfile.Instance,
        }, Log, Machine, new Recorder(Sent, Transfers), new Silent(), logger ?? NullLogger.Instance)
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(Machine, StagingFolder),
        };
    }

    public int Id { get; }

    public string StagingFolder { get; } = Path.Combine(Path.GetTempPath(), "kvraft-peernode-" + Guid.NewGuid().ToString("N"));

    public MemoryRaftLogStore Log { get; }

    public MemoryKvStateMachine Machine { get; }

    public KvNode Node { get; }

    public RaftStatus Status => Node.RaftStatus;

    /// <summary>Everything the node sent (entries dropped), oldest first.</summary>
    public List<PeerMessage> Sent { get; } = [];

    /// <summary>Every snapshot transfer the node started (one per Snapshot message it sent), oldest first.</summary>
    public List<SnapshotTransfer> Transfers { get; } = [];

    /// <summary>Files left in the snapshot staging folder.</summary>
    public int StagingFiles => Directory.Exists(StagingFolder) ? Directory.GetFiles(StagingFolder).Length : 0;

    /// <summary>Delivers <paramref name="message"/> as received on the connection of its sender, then takes every Ready.</summary>
    public void Deliver(PeerMessage message)
    {
        Node.OnPeerMessage(message.From, message);
        HandleReadies();
    }

    /// <summary>Delivers <paramref name="message"/> as received on the connection of <paramref name="sender"/>.</summary>
    public PeerCheck DeliverFrom(int sender, PeerMessage message)
    {
        var check = Node.OnPeerMessage(sender, message);
        HandleReadies();
        return check;
    }

    public PeerCheck DeliverChunk(int from, Protocol.SnapshotChunk chunk)
    {
        var check = Node.OnSnapshotChunk(from, chunk);
        HandleReadies();
        return check;
    }

    /// <summary>Ends the node's event-loop turn (its reads ask for their read index), then takes every Ready.</summary>
    public void EndTurn()
    {
        Node.EndTurn();
        HandleReadies();
    }

    public void Ticks(int ticks)
    {
        Node.OnTicks(ticks);
        HandleReadies();
    }

    /// <summary>A message to this node from <paramref name="from"/>.</summary>
    public PeerMessage From(int from, PeerMessageType type, long term) => new() { Type = type, From = from, To = Id, Term = term };

    /// <summary>Follows leader 1 in term 2: one Append after the node's last entry, committing it.</summary>
    public void FollowLeader1InTerm2()
    {
        var last = Status.LastIndex;
        var entry = new WireEntry(last + 1, 2, Protocol.EntryType.NoOp, ReadOnlyMemory<byte>.Empty);
        Deliver(From(1, PeerMessageType.Append, 2) with { Index = last, LogTerm = 1, Commit = last + 1, Entries = EntryList.From(new[] { entry }) });
        Assert.Equal(Role.Follower, Status.Role);
        Assert.Equal(1, Status.Leader);
        Assert.Equal(last + 1, Status.Commit);
    }

    /// <summary>Becomes leader in term 2 with node 2's pre-vote and vote.</summary>
    public void BecomeLeaderInTerm2()
    {
        Ticks(120); // past any randomized election timeout: a pre-vote campaign for term 2
        Deliver(From(2, PeerMessageType.PreVoteResponse, 2));
        Deliver(From(2, PeerMessageType.VoteResponse, 2));
        Assert.Equal(Role.Leader, Status.Role);
        Assert.Equal(2, Status.Term);
    }

    private void HandleReadies()
    {
        for (var round = 0; round < 16 && Node.TryAcceptReady(out var mustCommit); round++)
        {
            if (!mustCommit)
            {
                continue;
            }

            Log.CommitAsync().AsTask().GetAwaiter().GetResult();
            Node.OnLogWriteDurable();
        }
    }

    public void Dispose()
    {
        Log.Dispose();
        Machine.Dispose();
        if (Directory.Exists(StagingFolder))
        {
            Directory.Delete(StagingFolder, recursive: true);
        }
    }

    private sealed class Recorder(List<PeerMessage> sent, List<SnapshotTransfer> transfers) : IPeerOutbox
    {
        public void Send(in PeerMessage message) => sent.Add(message with { Entries = default });

        public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) => transfers.Add(transfer);

        public void Flush() { }
    }

    private sealed class Silent : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) { }

        public void Flush() { }
    }
}
