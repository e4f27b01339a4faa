// Goal: live migration between data groups keeps every acknowledged append, applies none twice, serves no stale read and
// moves the sessions with the shards, through moves, a power cut of every process and restarts; method: a GroupedCluster
// of three simulated processes hosting the replicated controller (group 0) and data groups 1 and 2 over 64 shards, shards
// moved by ShardMove writes to the controller, a process cut off across a move, MigrationWorkload clients that route by a cached configuration, every key checked at
// the end; planted bugs (test decorators only) each caught by the check that names it, the same seed passing without.
using System.Buffers.Binary;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Groups;

public sealed class MigrationTests(ITestOutputHelper output)
{
    private const int Keys = 16;

    internal enum Plant
    {
        None,
        /// <summary>The new owner installs the chunks without the old group's sessions.</summary>
        InstallWithoutSessions,
        /// <summary>The new owner is answered an empty last chunk: it serves a pulling shard before its data arrived.</summary>
        ServeBeforeDataArrived,
    }

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 6));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Shards_move_under_a_partition_and_a_power_cut_with_every_acknowledged_append_applied_once_and_no_stale_read(int seed)
    {
        var verdict = Run(seed, Plant.None);
        output.WriteLine($"seed {seed}: {verdict}");
        Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
        Assert.True(verdict.Acknowledged > 100, $"seed {seed}: {verdict}");
    }

    [Fact]
    public void Installing_the_data_without_the_sessions_is_caught_by_the_sessions_check()
    {
        const int seed = 1;
        var planted = Run(seed, Plant.InstallWithoutSessions);
        output.WriteLine($"planted: {planted}");
        Assert.NotEmpty(planted.SessionsNotMoved);
        Assert.True(Run(seed, Plant.None).Passed);
    }

    [Fact]
    public void Serving_a_pulling_shard_before_its_data_arrived_is_caught_by_the_lost_appends_and_stale_reads_checks()
    {
        const int seed = 2;
        var planted = Run(seed, Plant.ServeBeforeDataArrived);
        output.WriteLine($"planted: {planted}");
        Assert.NotEmpty(planted.LostAcknowledgedAppends);
        Assert.True(Run(seed, Plant.None).Passed);
    }

    private static MigrationVerdict Run(int seed, Plant plant)
    {
        var cluster = new GroupedCluster(groups: 3, seed, controllerDataGroups: 2,
            wrapMachine: plant == Plant.InstallWithoutSessions ? (group, machine) => group > 0 ? new SessionlessInstalls(machine) : machine : null);
        if (plant == Plant.ServeBeforeDataArrived)
        {
            cluster.Network.Intercept = (_, message) => message.Type == PeerMessageType.ShardPullReply && !message.Reject
                ? message with { RejectHint = 1, Entries = EntryList.From(new[] { new WireEntry(0, 0, Protocol.EntryType.Normal, ReadOnlyMemory<byte>.Empty) }) }
                : message;
        }
        cluster.ElectAll();
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == 1));
        var controllerSession = cluster.Call(0, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId;
        var workload = new MigrationWorkload(cluster, clients: 4, keys: Keys);
        workload.RegisterSessions();
        var random = new Random(seed);
        var moves = 0;
        for (var step = 1; step <= 5000; step++)
        {
            if (step % 700 == 0)
            {
                // The shard of a key the clients use, to the other data group, through the controller's log.
                var shard = ShardMap.ShardOf(System.Text.Encoding.UTF8.GetBytes("key" + random.Next(Keys)), ShardMap.DefaultShardCount);
                var to = cluster.LatestConfiguration.Owners[shard] == 1 ? 2 : 1;
                var answer = cluster.Call(0, new ClientRequest { Op = ClientOp.ShardMove, ClientId = controllerSession, Sequence = (ulong)++moves, GroupId = to, Shard = shard });
                Assert.True(answer.Status == ClientStatus.Ok, $"seed {seed}: move answered {answer.Status} {answer.Message}");
            }
            if (step == 1300)
            {
                cluster.Network.IsolatedProcesses.Add(1 + random.Next(3)); // a partition across the move at step 1400
            }
            if (step == 1900)
            {
                cluster.Network.IsolatedProcesses.Clear();
            }
            if (step == 2600)
            {
                cluster.CrashAndRestartAll();
            }
            workload.Step();
            cluster.RunSteps(1);
        }
        var verdict = workload.Finish(moves);
        var latest = cluster.LatestConfiguration.Number;
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == latest && shards.Settled));
        return verdict;
    }

    /// <summary>Planted bug (test code only): a state machine that installs a shard's chunks without their session records.</summary>
    private sealed class SessionlessInstalls(IKvStateMachine inner) : IKvStateMachine
    {
        public long AppliedIndex => inner.AppliedIndex;

        public long AppliedTerm => inner.AppliedTerm;

        public int SessionCount => inner.SessionCount;

        public byte[] Configuration => inner.Configuration;

        public byte[] ShardState => inner.ShardState;

        public ShardOfKey? ShardOf { get => inner.ShardOf; set => inner.ShardOf = value; }

        public ISnapshotSource? LatestSnapshot => inner.LatestSnapshot;

        public ShardChunk ExportShard(ShardExportRequest request) => inner.ExportShard(request);

        public void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
        {
            var stripped = batch.ToArray();
            for (var i = 0; i < stripped.Length; i++)
            {
                if (stripped[i].Command.Op == KvOp.InstallShard)
                {
                    stripped[i] = stripped[i] with { Command = stripped[i].Command with { Key = UserRecordsOnly(stripped[i].Command.Key) } };
                }
            }
            inner.ApplyBatch(stripped, results);
        }

        private static byte[] UserRecordsOnly(ReadOnlyMemory<byte> chunk)
        {
            var kept = new List<byte>();
            var span = chunk.Span;
            for (var at = 0; at < span.Length;)
            {
                int keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
                var bytes = ShardChunkCodec.RecordHeaderBytes + keyBytes + BinaryPrimitives.ReadInt32LittleEndian(span[(at + 2 + keyBytes)..]);
                if (span[at + 2] == 0) // the user space
                {
                    kept.AddRange(span.Slice(at, bytes));
                }
                at += bytes;
            }
            return [.. kept];
        }

        public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

        public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

        public bool TryGetSession(long clientId, out long lastSequence) => inner.TryGetSession(clientId, out lastSequence);

        public ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default) =>
            inner.TakeSnapshotAsync(configuration, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
