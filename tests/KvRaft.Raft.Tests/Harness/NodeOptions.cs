// Goal: one place for the knobs a test turns on a node; method: an immutable record turned into a RaftConfig.
namespace KvRaft.Raft.Tests.Harness;

/// <summary>The per-node settings a test varies; everything else keeps the core's defaults.</summary>
internal sealed record NodeOptions
{
    public int ElectionTicks { get; init; } = 10;
    public int HeartbeatTicks { get; init; } = 1;
    public bool PreVote { get; init; } = true;
    public bool CheckQuorum { get; init; } = true;
    public int InflightMessagesMax { get; init; } = 64;
    public int AppendEntriesMax { get; init; } = 1024;
    public long UncommittedBytesMax { get; init; } = 64L << 20;
    public bool LeaseReads { get; init; }
    public bool AsyncStorageWrites { get; init; }

    public RaftConfig Build(int id, MemoryStorage storage, Prng random) => new()
    {
        Id = id,
        Storage = storage,
        Random = random,
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = HeartbeatTicks,
        PreVote = PreVote,
        CheckQuorum = CheckQuorum,
        InflightMessagesMax = InflightMessagesMax,
        AppendEntriesMax = AppendEntriesMax,
        UncommittedBytesMax = UncommittedBytesMax,
        LeaseReads = LeaseReads,
        AsyncStorageWrites = AsyncStorageWrites,
    };
}

/// <summary>Small helpers for payloads and entries.</summary>
internal static class Data
{
    public static ReadOnlyMemory<byte> Payload(int value) => BitConverter.GetBytes(value);

    public static ReadOnlyMemory<byte> Payload(int value, int size)
    {
        var bytes = new byte[Math.Max(size, 4)];
        BitConverter.TryWriteBytes(bytes, value);
        return bytes;
    }

    public static int Value(Entry entry) => entry.Data.Length >= 4 ? BitConverter.ToInt32(entry.Data.Span) : -1;

    public static Entry E(long index, long term, int value = 0) =>
        new(index, term, EntryType.Normal, Payload(value == 0 ? (int)(index * 1000 + term) : value));

    public static bool SameEntry(Entry a, Entry b) =>
        a.Index == b.Index && a.Term == b.Term && a.Type == b.Type && a.Data.Span.SequenceEqual(b.Data.Span);
}
