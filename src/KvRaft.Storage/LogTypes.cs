namespace KvRaft.Storage;

/// <summary>One Raft log entry. <paramref name="Type"/> is opaque to storage (the Raft core defines it).</summary>
public readonly record struct LogEntry(long Index, long Term, byte Type, ReadOnlyMemory<byte> Data);

/// <summary>The Raft hard state: current term, vote (0 = none) and commit index.</summary>
public readonly record struct HardState(long Term, int Vote, long Commit);
