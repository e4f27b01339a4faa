namespace KvRaft.Storage;

/// <summary>State machine operations. <see cref="Noop"/> only advances the applied index (config, empty entries).</summary>
public enum KvOp : byte
{
    Noop = 0,
    Put = 1,
    Get = 2,
    Append = 3,
    Delete = 4,
    CompareAndSet = 5,
    /// <summary>
    /// Opens a session for <see cref="KvCommand.ClientId"/> (non-zero; chosen at random by the leader that proposed it
    /// and carried in the log entry). An id that is already live is refused (<see cref="KvStatus.SessionIdTaken"/>).
    /// </summary>
    RegisterSession = 6,
    /// <summary>
    /// A configuration entry: only advances the applied index, and records <see cref="KvCommand.Value"/> (the cluster
    /// configuration in effect from this entry on, opaque to storage) as the one a snapshot of this position stores.
    /// </summary>
    Configure = 7,
    /// <summary>Shard controller (group 0): a group joins; executed by the state machine's <see cref="ICommandExtension"/>.</summary>
    GroupJoin = 14,
    /// <summary>Shard controller (group 0): a group leaves; executed by the state machine's <see cref="ICommandExtension"/>.</summary>
    GroupLeave = 15,
    /// <summary>Shard controller (group 0): a shard moves; executed by the state machine's <see cref="ICommandExtension"/>.</summary>
    ShardMove = 16,
    /// <summary>
    /// Shard migration (docs/design.md, "Sharding: configurations, migration"): the group entered a configuration.
    /// Records <see cref="KvCommand.Value"/>, the group's shard states after the entry (opaque to storage), as
    /// <see cref="IKvStateMachine.ShardState"/>. Ops 32 to 35 all do so, then their own work below.
    /// </summary>
    Reconfigure = 32,
    /// <summary>
    /// Installs one chunk of a shard pulled from its previous owner: <see cref="KvCommand.Key"/> is the chunk
    /// (<see cref="ShardChunk"/>: the shard's records and the old group's sessions, merged: the higher last sequence wins).
    /// </summary>
    InstallShard = 33,
    /// <summary>Deletes a shard's keys: <see cref="KvCommand.Key"/> is u16 shard, u16 shard count (little-endian).</summary>
    DropShard = 34,
    /// <summary>The old owner confirmed it dropped a shard: only the shard states change.</summary>
    ShardDropConfirmed = 35,
}

/// <summary>
/// One command. For <see cref="KvOp.CompareAndSet"/>, <paramref name="Expected"/> null means "expect absent".
/// Otherwise (ClientId, Sequence) identifies the request: a sequence above the session's last is applied, the last
/// one again with the same command is a duplicate answered from the session, anything else is refused.
/// ClientId 0 means no session (applied without deduplication): for the storage layer's own callers only; the node
/// refuses client id 0 from clients, so nothing from the wire reaches it. <paramref name="Identity"/> is the digest
/// of the client identity the leader received the command from (0: clients not authenticated): a RegisterSession
/// binds its session to it, and a write under that session from another identity is refused
/// (<see cref="KvStatus.SessionNotOwned"/>).
/// </summary>
public readonly record struct KvCommand(
    KvOp Op, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value = default, ReadOnlyMemory<byte>? Expected = null,
    long ClientId = 0, long Sequence = 0, long Identity = 0);

/// <summary>A committed log entry to apply: its position and its command.</summary>
public readonly record struct KvApply(long Index, long Term, KvCommand Command);

/// <summary>Outcome of a command.</summary>
public enum KvStatus : byte
{
    Ok = 1,
    NotFound = 2,
    Swapped = 3,
    NotSwapped = 4,
    /// <summary>
    /// The sequence is below the session's last, or 0 (sequences start at 1); the command was not applied.
    /// </summary>
    StaleSequence = 5,
    /// <summary>Key or value above the limits; not applied.</summary>
    TooLarge = 6,
    /// <summary>The command names a session that was never registered or has expired; not applied.</summary>
    SessionExpired = 7,
    /// <summary>The session's last sequence was reused for a different command; not applied (the original was).</summary>
    SequenceReused = 8,
    /// <summary>RegisterSession named an id that is already a live session; nothing changed.</summary>
    SessionIdTaken = 9,
    /// <summary>The command's identity is not the one its session was registered by; not applied.</summary>
    SessionNotOwned = 10,
    /// <summary>
    /// RegisterSession refused: its identity (not 0) already holds <see cref="StorageLimits.SessionsPerIdentityMax"/>
    /// live sessions; nothing changed.
    /// </summary>
    TooManySessions = 11,
    /// <summary>An extension command (<see cref="ICommandExtension"/>) refused: the value is the reason (UTF-8); nothing changed.</summary>
    Refused = 12,
}

/// <summary>
/// Result of a command: Get returns the value; Append returns the new value; CompareAndSet returns whether it
/// swapped and the current value after it (null when absent). <paramref name="Duplicate"/> marks a retried request
/// answered from the session table.
/// </summary>
public readonly record struct KvResult(KvStatus Status, byte[]? Value, bool Duplicate = false);

/// <summary>What a Get that does not wait for the disk found (<see cref="IKvStateMachine.TryGetOrStart"/>).</summary>
public enum GetStatus : byte
{
    /// <summary>The value was in memory and was written out.</summary>
    Found,

    /// <summary>The key is absent.</summary>
    NotFound,

    /// <summary>The value is on the device: the read goes on, answered later by <see cref="IKvStateMachine.TakeCompletedGets"/>.</summary>
    Pending,
}

/// <summary>The answer to a Get that went pending: its token, and its value (null when the key was absent).</summary>
public readonly record struct CompletedGet(long Token, byte[]? Value);
