using System.Buffers.Binary;
using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// The simulated replicated state machine: a few registers written by unique write ids, and a hash
/// chain over every applied entry, so two nodes that applied index i have the same hash at i iff
/// they applied the same entries.
/// </summary>
internal sealed class StateMachine
{
    public const int KeyCount = 5;

    public long[] Values { get; private set; } = new long[KeyCount];

    public long Applied { get; private set; }

    public ulong Hash { get; private set; }

    public static ReadOnlyMemory<byte> EncodeWrite(long writeId)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, writeId);
        return bytes;
    }

    public static long DecodeWrite(ReadOnlyMemory<byte> data) => BinaryPrimitives.ReadInt64LittleEndian(data.Span);

    /// <summary>Applies the next entry; returns the write id (0 for a no-op).</summary>
    public long Apply(Entry entry)
    {
        Invariant.True(entry.Index == Applied + 1, (entry.Index, Applied));
        long writeId = 0;
        if (entry.Type == EntryType.Normal)
        {
            writeId = DecodeWrite(entry.Data);
            Values[writeId % KeyCount] = writeId;
        }
        Hash = Mix(Mix(Mix(Hash, (ulong)entry.Index), (ulong)entry.Term), (ulong)writeId ^ ((ulong)entry.Type << 56));
        Applied = entry.Index;
        return writeId;
    }

    public SnapshotData TakeSnapshot(long term) => new(Applied, term, Hash, (long[])Values.Clone());

    public void Restore(SnapshotData snapshot)
    {
        Values = (long[])snapshot.Values.Clone();
        Applied = snapshot.Index;
        Hash = snapshot.Hash;
    }

    private static ulong Mix(ulong hash, ulong value)
    {
        ulong x = (hash ^ value) * 0x9E3779B97F4A7C15UL;
        return x ^ (x >> 29);
    }
}

/// <summary>A snapshot's bytes as the simulator carries them: the state machine at an index.</summary>
internal sealed record SnapshotData(long Index, long Term, ulong Hash, long[] Values);
