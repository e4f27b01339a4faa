// Goal: a follower KvNode over the in-memory storage twins or the FASTER stores that tests feed a leader's snapshot by
// hand (chunks, the Snapshot message, Appends) and crash between any two steps; method: a SIGKILL loses what the log
// did not commit and takes the state machine back to its last checkpoint (the twins' Recover; the FASTER stores are
// closed without a log commit and reopened from their files), Readies are taken one at a time.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Node;

/// <summary>A snapshot as a leader sends it: its chunks on the wire and its Snapshot message.</summary>
internal sealed class LeaderSnapshot
{
    public static readonly int[] Voters = [1, 2, 3];

    private LeaderSnapshot(long index, long term, List<WireSnapshotChunk> chunks)
    {
        (Index, Term, Chunks) = (index, term, chunks);
    }

    public long Index { get; }

    public long Term { get; }

    public List<WireSnapshotChunk> Chunks { get; }

    /// <summary>A snapshot at (index, term) of a state machine that put key k{i} at every index i (several chunks).</summary>
    public static LeaderSnapshot Make(long index, long term, byte[]? configuration = null)
    {
        var machine = new MemoryKvStateMachine(new StorageLimits { SnapshotChunkBytes = 256 });
        var batch = new KvApply[index];
        for (long i = 1; i <= index; i++)
        {
            var value = new byte[64];
            new Random((int)(i + (1000 * term))).NextBytes(value); // seeded: incompressible, so the file spans several chunks
            batch[i - 1] = new KvApply(i, term, new Storage.KvCommand(KvOp.Put, Bytes("k" + i), value));
        }
        machine.ApplyBatch(batch, []);
        var snapshot = Of(machine, configuration);
        Assert.True(snapshot.Chunks.Count > 2, "the snapshot should span several chunks");
        return snapshot;
    }

    /// <summary>The snapshot of <paramref name="machine"/>'s applied state, in the chunks a leader sends.</summary>
    public static LeaderSnapshot Of(MemoryKvStateMachine machine, byte[]? configuration = null)
    {
        var info = machine.TakeSnapshotAsync(configuration ?? ClusterMembership.Encode(new ConfigState(Voters))).AsTask().GetAwaiter().GetResult();
        var chunks = new List<WireSnapshotChunk>();
        using var reader = machine.LatestSnapshot!.OpenSnapshotReader();
        while (reader.TryReadNext(out var chunk))
        {
            chunks.Add(new WireSnapshotChunk
            {
                SnapshotIndex = info.Index,
                SnapshotTerm = info.Term,
                Offset = (ulong)chunk.Offset,
                ChunkIndex = (uint)chunks.Count,
                Last = chunk.Last,
                UncompressedBytes = chunk.Data.Length,
                Payload = chunk.Data,
            });
        }
        return new LeaderSnapshot(info.Index, info.Term, chunks);
    }

    public PeerMessage Message(long leaderTerm) => new()
    {
        Type = PeerMessageType.Snapshot,
        From = 1,
        To = 2,
        Term = leaderTerm,
        Snapshot = new SnapshotMeta(Index, Term, Voters),
    };

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}

/// <summary>
/// Node 2 of voters {1, 2, 3}, with its own log entries 1..ownEntries of term 1, over the memory twins or (with
/// <c>onFaster</c>) the FASTER log store and state machine in a temporary folder.
/// </summary>
internal sealed class SnapshotFollower : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-snapfollower-" + Guid.NewGuid().ToString("N"));
    private readonly bool _onFaster;
    private readonly GroupRouting? _routing;

    /// <param name="routing">Its place in a sharded cluster (null: the one-group store); the controller group's state machine gets the controller as its extension.</param>
    public SnapshotFollower(int ownEntries, bool onFaster = false, GroupRouting? routing = null)
    {
        _onFaster = onFaster;
        _routing = routing;
        (Log, Machine) = onFaster ? OpenFaster() : (new MemoryRaftLogStore(), new MemoryKvStateMachine());
        var entries = new LogEntry[ownEntries];
        for (var i = 0; i < ownEntries; i++)
        {
            entries[i] = new LogEntry(i + 1, 1, (byte)Raft.EntryType.NoOp, ReadOnlyMemory<byte>.Empty);
        }

        Log.Append(entries, new Storage.HardState(1, 0, 0));
        CommitLog();
        Start();
    }

    public IRaftLogStore Log { get; private set; }

    public KvStateMachineBase Machine { get; private set; }

    public KvNode Node { get; private set; } = null!;

    public List<PeerMessage> Sent { get; } = [];

    /// <summary>Where installs run from the next <see cref="Start"/> on (none: at once, inside the Ready).</summary>
    public ISnapshotInstallRunner? InstallRunner { get; set; }

    public void Start()
    {
        if (_routing is { IsController: true })
        {
            Machine.Extension = (ReplicatedShardController)_routing.Configurations;
        }
        Node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(2, LeaderSnapshot.Voters.ToDictionary(v => v, v => $"127.0.0.1:{8000 + v}")),
            Voters = LeaderSnapshot.Voters,
            Seed = 2,
        }, Log, Machine, new RecordingPeers(Sent), new NoClients(), NullLogger.Instance)
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(Machine, Path.Combine(_folder, "incoming")),
            InstallRunner = InstallRunner,
            Routing = _routing,
        };
        // Node 1 leads term 2: a node takes snapshot chunks only from the leader it follows.
        Node.OnPeerMessage(1, new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = 2 });
    }

    private (IRaftLogStore, KvStateMachineBase) OpenFaster() =>
        (FasterRaftLogStore.Open(Path.Combine(_folder, "log")), FasterKvStateMachine.Open(Path.Combine(_folder, "sm")));

    private void CommitLog() => Log.CommitAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>SIGKILL: log writes since the last commit are lost, the state machine is back to its last checkpoint.</summary>
    public void CrashAndRestart()
    {
        if (_onFaster)
        {
            Log.Dispose(); // without a commit: what was appended since the last one is not recovered
            Machine.Dispose();
            (Log, Machine) = OpenFaster();
        }
        else
        {
            Log = ((MemoryRaftLogStore)Log).Recover(writesKept: 0);
            Machine = ((MemoryKvStateMachine)Machine).Recover();
        }
        Start();
    }

    public void DeliverChunks(LeaderSnapshot snapshot)
    {
        foreach (var chunk in snapshot.Chunks)
        {
            Node.OnSnapshotChunk(1, chunk);
        }
    }

    /// <summary>Takes one Ready, leaving its log write (if any) neither committed nor reported durable.</summary>
    public bool TakeOneReady() => Node.TryAcceptReady(out _);

    /// <summary>Takes every Ready, committing each log write and reporting it durable.</summary>
    public void HandleReadies()
    {
        for (var round = 0; round < 16 && Node.TryAcceptReady(out var mustCommit); round++)
        {
            if (!mustCommit)
            {
                continue;
            }

            CommitLog();
            Node.OnLogWriteDurable();
        }
    }

    /// <summary>The leader (term 2) appends one entry after (prevIndex, prevTerm); returns the follower's answer.</summary>
    public PeerMessage Append(long prevIndex, long prevTerm)
    {
        Sent.Clear();
        var entry = new WireEntry(prevIndex + 1, 2, Protocol.EntryType.NoOp, ReadOnlyMemory<byte>.Empty);
        Node.OnPeerMessage(1, new PeerMessage
        {
            Type = PeerMessageType.Append,
            From = 1,
            To = 2,
            Term = 2,
            Index = prevIndex,
            LogTerm = prevTerm,
            Commit = prevIndex,
            Entries = EntryList.From(new[] { entry }),
        });
        HandleReadies();
        return Assert.Single(Sent, message => message.Type == PeerMessageType.AppendResponse);
    }

    public void Dispose()
    {
        Log.Dispose();
        Machine.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private sealed class RecordingPeers(List<PeerMessage> sent) : IPeerOutbox
    {
        public void Send(in PeerMessage message) => sent.Add(message with { Entries = default });

        public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) { }

        public void Flush() { }
    }

    private sealed class NoClients : IClientOutbox
    {
        public void Reply(long connectionId, in ClientResponse response) { }

        public void Flush() { }
    }
}
