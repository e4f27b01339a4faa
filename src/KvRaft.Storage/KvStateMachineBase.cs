using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KvRaft.Storage;

/// <summary>
/// Command semantics, the session (dedup) table with its LRU-by-log-index expiry, and the applied position,
/// over three storage primitives. Both state machines share this, so the twins cannot drift apart.
/// </summary>
public abstract partial class KvStateMachineBase : IKvStateMachine
{
    private readonly Dictionary<long, SessionState> _sessions = [];

    // Sessions changed since they were last written to the store. The dictionary is the truth while the node runs;
    // the store needs them only in a snapshot (its checkpoint), so they are written there just before one is taken
    // (FlushSessions) rather than once per write: that halved the store's writes per applied command.
    private readonly HashSet<long> _dirtySessions = [];

    // Sessions by last use, least recent first: (LastIndex, ClientId) of every RecordSession. An item whose session was
    // used again (or expired) since is stale and skipped when it comes up; rebuilt when stale items outnumber live ones.
    // Unlike a sorted set, it allocates nothing per use once its array has grown.
    private readonly PriorityQueue<long, (long LastIndex, long ClientId)> _sessionsByUse = new();

    // Live sessions per registering identity, for every identity other than 0 (an identity is absent when it holds
    // none): always the count of sessions whose SessionState.Identity is that identity. The per-identity quota.
    private readonly Dictionary<long, int> _sessionsPerIdentity = [];

    private protected KvStateMachineBase(StorageLimits limits)
    {
        Limits = limits;
        _records = new ExtensionRecords(this);
    }

    private readonly ExtensionRecords _records;
    private ICommandExtension? _extension;

    /// <summary>
    /// Executes <see cref="KvOp.GroupJoin"/>, <see cref="KvOp.GroupLeave"/> and <see cref="KvOp.ShardMove"/> (null:
    /// they are refused). Setting it reloads it from the records at once; it is reloaded whenever the state is.
    /// </summary>
    public ICommandExtension? Extension
    {
        get => _extension;
        set
        {
            lock (ApplyGate)
            {
                _extension = value;
                _extension?.Reload(_records);
            }
        }
    }

    private protected StorageLimits Limits { get; }

    /// <summary>Held while a batch applies; a snapshot checkpoint takes it too.</summary>
    private protected Lock ApplyGate { get; } = new();

    /// <inheritdoc/>
    public long AppliedIndex { get; private set; }

    /// <inheritdoc/>
    public long AppliedTerm { get; private set; }

    /// <inheritdoc/>
    public byte[] Configuration { get; private set; } = [];

    // The configuration the last Configure applied since the state was loaded recorded (null: none since): the one in
    // effect at AppliedIndex, which a snapshot stores rather than the one its caller read before the export began.
    private byte[]? _appliedConfiguration;

    /// <inheritdoc/>
    public int SessionCount => _sessions.Count;

    /// <summary>Sessions evicted (least recently used) to keep at most <c>SessionMaxCount</c>, since this object was opened.</summary>
    public long SessionsEvicted { get; private set; }

    /// <inheritdoc/>
    public abstract ISnapshotSource? LatestSnapshot { get; }

    /// <summary>A fresh copy of the value under <paramref name="storeKey"/>, or null.</summary>
    private protected abstract byte[]? Read(ReadOnlySpan<byte> storeKey);

    /// <summary>Appends the value under <paramref name="storeKey"/> to <paramref name="value"/>; false (nothing written) when absent.</summary>
    private protected abstract bool TryRead(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value);

    private protected abstract void Write(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value);

    private protected abstract bool Remove(ReadOnlySpan<byte> storeKey);

    /// <summary>Every live session record (key, value) in the store, for loading the table on open.</summary>
    private protected abstract IEnumerable<(byte[] Key, byte[] Value)> ReadSessions();

    /// <inheritdoc/>
    public SnapshotPhases LastSnapshotPhases { get; private protected set; }

    /// <inheritdoc/>
    public abstract ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default);

    /// <summary>Replaces the whole state with a verified snapshot file's records.</summary>
    internal abstract void ReplaceFrom(SnapshotFile snapshot);

    /// <inheritdoc/>
    public abstract void Dispose();

    /// <summary>Loads the applied position, configuration and sessions from the store.</summary>
    private protected void LoadState()
    {
        _sessions.Clear();
        _dirtySessions.Clear();
        _sessionsByUse.Clear();
        _sessionsPerIdentity.Clear();
        var applied = Read(KvKeys.AppliedKey);
        AppliedIndex = applied is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(applied);
        AppliedTerm = applied is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(applied.AsSpan(8));
        Configuration = Read(KvKeys.ConfigurationKey) ?? [];
        ShardState = Read(KvKeys.ShardStateKey) ?? [];
        _appliedConfiguration = null;
        foreach (var (key, _) in ReadSessions())
        {
            // A store scan may also yield superseded record versions: the point read is authoritative.
            var clientId = KvKeys.SessionClient(key);
            if (_sessions.ContainsKey(clientId) || Read(key) is not { } value)
            {
                continue;
            }
            var state = SessionState.Decode(value);
            _sessions[clientId] = state;
            CountIdentity(state.Identity, +1);
        }
        RebuildSessionsByUse();
        _extension?.Reload(_records);
    }

    /// <summary>
    /// Records the configuration a snapshot of the applied position stores (called under <see cref="ApplyGate"/>):
    /// the last one a <see cref="KvOp.Configure"/> applied since the state was loaded, or else the caller's
    /// <paramref name="requested"/> (read when no Configure was applied since, so the one in effect); returns it.
    /// </summary>
    private protected byte[] SetSnapshotConfiguration(byte[] requested)
    {
        var configuration = _appliedConfiguration ?? requested;
        SetConfiguration(configuration);
        return configuration;
    }

    private protected void SetConfiguration(byte[] configuration)
    {
        Configuration = configuration;
        Write(KvKeys.ConfigurationKey, configuration);
    }

    /// <inheritdoc/>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        using var storeKey = new ScratchBuffer(key.Length + 1, stackalloc byte[KvKeys.StackBytesMax]);
        return Read(KvKeys.User(key, storeKey.Span));
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var storeKey = new ScratchBuffer(key.Length + 1, stackalloc byte[KvKeys.StackBytesMax]);
        return TryRead(KvKeys.User(key, storeKey.Span), value);
    }

    /// <inheritdoc/>
    public GetStatus TryGetOrStart(ReadOnlySpan<byte> key, IBufferWriter<byte> value, long token)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(token);
        using var storeKey = new ScratchBuffer(key.Length + 1, stackalloc byte[KvKeys.StackBytesMax]);
        return TryReadOrStart(KvKeys.User(key, storeKey.Span), value, token);
    }

    /// <summary>As <see cref="TryRead"/>, or <see cref="GetStatus.Pending"/> when the value is on the device (see <see cref="TryGetOrStart"/>).</summary>
    private protected virtual GetStatus TryReadOrStart(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value, long token) =>
        TryRead(storeKey, value) ? GetStatus.Found : GetStatus.NotFound;

    /// <inheritdoc/>
    public virtual void TakeCompletedGets(List<CompletedGet> into)
    {
    }

    /// <inheritdoc/>
    public bool TryGetSession(long clientId, out long lastSequence)
    {
        var found = _sessions.TryGetValue(clientId, out var state);
        lastSequence = state.LastSequence;
        return found;
    }

    /// <inheritdoc/>
    public void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        if (batch.Length == 0)
        {
            return;
        }
        lock (ApplyGate)
        {
            ApplyLocked(batch, results);
        }
    }

    /// <summary>Called under the apply gate before a batch's first operation: the store may enter its session once for all of them.</summary>
    private protected virtual void BeginApplyPass()
    {
    }

    /// <summary>Called after a batch's last operation, also when one threw.</summary>
    private protected virtual void EndApplyPass()
    {
    }

    private void ApplyLocked(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        BeginApplyPass();
        try
        {
            ApplyPass(batch, results);
        }
        finally
        {
            EndApplyPass();
        }
    }

    private void ApplyPass(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        for (var i = 0; i < batch.Length; i++)
        {
            var apply = batch[i];
            // One log entry may hold several commands: they share its index and are applied in one batch.
            Invariant.True(apply.Index > AppliedIndex || (i > 0 && batch[i - 1].Index == apply.Index), apply.Index);
            results.Add(ApplyOne(apply));
            AppliedIndex = apply.Index;
            AppliedTerm = apply.Term;
        }
        Span<byte> applied = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(applied, AppliedIndex);
        BinaryPrimitives.WriteInt64LittleEndian(applied[8..], AppliedTerm);
        Write(KvKeys.AppliedKey, applied);
    }

    private KvResult ApplyOne(in KvApply apply)
    {
        var command = apply.Command;
        if (command.Op == KvOp.Configure)
        {
            _appliedConfiguration = command.Value.ToArray(); // rare: one per membership change
            return new KvResult(KvStatus.Ok, null);
        }
        if (command.Op >= KvOp.Reconfigure)
        {
            return ApplyShardOp(apply);
        }
        if (command.Op == KvOp.RegisterSession)
        {
            return RegisterSession(command.ClientId, command.Identity, apply.Index);
        }
        if (command.ClientId == 0)
        {
            // No session: applied without deduplication. Only the storage layer's own callers (tests, benchmarks)
            // and logs written before the node refused client id 0 use it; the client protocol cannot reach it.
            return Execute(command);
        }
        if (!_sessions.TryGetValue(command.ClientId, out var session))
        {
            // Never applied without a live session: a retry after expiry must not apply twice.
            return new KvResult(KvStatus.SessionExpired, null);
        }
        if (command.Identity != session.Identity)
        {
            // Checked first: another identity learns nothing (not even a duplicate's answer) and changes nothing.
            return new KvResult(KvStatus.SessionNotOwned, null);
        }
        if (command.Sequence <= session.LastSequence)
        {
            return RepeatedSequence(command, session);
        }
        var result = Execute(command);
        RecordSession(command.ClientId, new SessionState(command.Sequence, apply.Index, CommandDigest.Of(command), result, session.Identity));
        return result;
    }

    /// <summary>
    /// A session's ids are random and chosen by the leader (see KvNode); an id already live is refused rather than
    /// reset, which would let that session's retries apply twice. The session belongs to <paramref name="identity"/>;
    /// an identity other than 0 may hold at most <see cref="StorageLimits.SessionsPerIdentityMax"/> live sessions.
    /// </summary>
    private KvResult RegisterSession(long clientId, long identity, long index)
    {
        Invariant.True(clientId != 0);
        if (_sessions.ContainsKey(clientId))
        {
            return new KvResult(KvStatus.SessionIdTaken, null);
        }
        if (identity != 0 && _sessionsPerIdentity.GetValueOrDefault(identity) >= Limits.SessionsPerIdentityMax)
        {
            return new KvResult(KvStatus.TooManySessions, null);
        }
        var registered = new KvResult(KvStatus.Ok, null);
        RecordSession(clientId, new SessionState(0, index, 0, registered, identity));
        return registered;
    }

    /// <summary>The live sessions of <paramref name="identity"/> (0 for identity 0, which is not counted).</summary>
    public int SessionsOf(long identity) => _sessionsPerIdentity.GetValueOrDefault(identity);

    private void CountIdentity(long identity, int change)
    {
        if (identity == 0)
        {
            return;
        }
        var count = _sessionsPerIdentity.GetValueOrDefault(identity) + change;
        Invariant.True(count >= 0, (identity, count));
        if (count == 0)
        {
            _sessionsPerIdentity.Remove(identity);
        }
        else
        {
            _sessionsPerIdentity[identity] = count;
        }
    }

    /// <summary>
    /// A sequence at or below the session's last: a true duplicate of the last write (same sequence, same command)
    /// gets that write's answer; the same sequence with another command, or an older sequence, or sequence 0 (a new
    /// session's last sequence is 0, and no write has it) is refused. None is applied.
    /// </summary>
    private static KvResult RepeatedSequence(in KvCommand command, in SessionState session)
    {
        if (command.Sequence != session.LastSequence || session.LastSequence == 0)
        {
            return new KvResult(KvStatus.StaleSequence, null);
        }
        return CommandDigest.Of(command) == session.LastDigest
            ? session.LastResult with { Duplicate = true }
            : new KvResult(KvStatus.SequenceReused, null);
    }

    private void RecordSession(long clientId, SessionState state)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, clientId, out var existed);
        slot = state;
        if (!existed)
        {
            CountIdentity(state.Identity, +1);
        }
        _dirtySessions.Add(clientId);
        _sessionsByUse.Enqueue(clientId, (state.LastIndex, clientId));
        Span<byte> sessionKey = stackalloc byte[KvKeys.SessionKeyBytes];
        while (_sessions.Count > Limits.SessionMaxCount)
        {
            var (oldestIndex, oldestClient) = DequeueLeastRecent();
            Invariant.True(_sessions.Remove(oldestClient, out var evicted), (oldestIndex, oldestClient));
            CountIdentity(evicted.Identity, -1);
            SessionsEvicted++;
            _dirtySessions.Remove(oldestClient);
            Remove(KvKeys.Session(oldestClient, sessionKey)); // an earlier flush may have written it
        }
        if (_sessionsByUse.Count > (2 * _sessions.Count) + 64)
        {
            RebuildSessionsByUse();
        }
    }

    /// <summary>
    /// Writes every session changed since the last flush to the store; called (under the apply gate) right before a
    /// snapshot captures the store, so that the snapshot holds every live session as of its index.
    /// </summary>
    private protected void FlushSessions()
    {
        Span<byte> sessionKey = stackalloc byte[KvKeys.SessionKeyBytes];
        Span<byte> stack = stackalloc byte[KvKeys.StackBytesMax];
        foreach (var clientId in _dirtySessions)
        {
            var state = _sessions[clientId];
            using var encoded = new ScratchBuffer(state.EncodedBytes, stack);
            Write(KvKeys.Session(clientId, sessionKey), state.Encode(encoded.Span));
        }
        _dirtySessions.Clear();
    }

    /// <summary>The live session with the smallest (last index, client id); stale items before it are dropped.</summary>
    private (long LastIndex, long ClientId) DequeueLeastRecent()
    {
        while (_sessionsByUse.TryDequeue(out _, out var item))
        {
            if (_sessions.TryGetValue(item.ClientId, out var state) && state.LastIndex == item.LastIndex)
            {
                return item;
            }
        }
        throw new InvariantException("no live session to expire");
    }

    private void RebuildSessionsByUse()
    {
        _sessionsByUse.Clear();
        foreach (var (clientId, state) in _sessions)
        {
            _sessionsByUse.Enqueue(clientId, (state.LastIndex, clientId));
        }
    }

    private KvResult Execute(in KvCommand command)
    {
        if (command.Key.Length > Limits.KeyMaxBytes || command.Value.Length > Limits.ValueMaxBytes)
        {
            return new KvResult(KvStatus.TooLarge, null);
        }
        using var storeKey = new ScratchBuffer(command.Key.Length + 1, stackalloc byte[KvKeys.StackBytesMax]);
        var key = command.Op == KvOp.Noop ? ReadOnlySpan<byte>.Empty : KvKeys.User(command.Key.Span, storeKey.Span);
        switch (command.Op)
        {
            case KvOp.Put:
                Write(key, command.Value.Span);
                return new KvResult(KvStatus.Ok, null);
            case KvOp.Get:
                return Read(key) is { } value ? new KvResult(KvStatus.Ok, value) : new KvResult(KvStatus.NotFound, null);
            case KvOp.Append:
                return Append(key, command.Value.Span);
            case KvOp.Delete:
                return new KvResult(Remove(key) ? KvStatus.Ok : KvStatus.NotFound, null);
            case KvOp.CompareAndSet:
                return CompareAndSet(key, command.Expected, command.Value);
            case KvOp.GroupJoin or KvOp.GroupLeave or KvOp.ShardMove:
                return _extension is { } extension
                    ? extension.Execute(command, _records)
                    : new KvResult(KvStatus.Refused, "this state machine has no shard controller"u8.ToArray());
            default:
                return new KvResult(KvStatus.Ok, null);
        }
    }

    private KvResult Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> suffix)
    {
        var current = Read(key) ?? [];
        if (current.Length + suffix.Length > Limits.ValueMaxBytes)
        {
            return new KvResult(KvStatus.TooLarge, null);
        }
        var joined = new byte[current.Length + suffix.Length];
        current.CopyTo(joined, 0);
        suffix.CopyTo(joined.AsSpan(current.Length));
        Write(key, joined);
        return new KvResult(KvStatus.Ok, joined);
    }

    private KvResult CompareAndSet(ReadOnlySpan<byte> key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value)
    {
        var current = Read(key);
        var matches = expected is { } want
            ? current is not null && want.Span.SequenceEqual(current)
            : current is null;
        if (!matches)
        {
            return new KvResult(KvStatus.NotSwapped, current);
        }
        Write(key, value.Span);
        return new KvResult(KvStatus.Swapped, value.ToArray());
    }

    /// <summary>The extension's records: keys in <see cref="KvKeys.ExtensionSpace"/>.</summary>
    private sealed class ExtensionRecords(KvStateMachineBase machine) : IExtensionRecords
    {
        public byte[]? Read(ReadOnlySpan<byte> key) => machine.Read(StoreKey(key, stackalloc byte[IExtensionRecords.KeyMaxBytes + 1]));

        public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => machine.Write(StoreKey(key, stackalloc byte[IExtensionRecords.KeyMaxBytes + 1]), value);

        public void Remove(ReadOnlySpan<byte> key) => machine.Remove(StoreKey(key, stackalloc byte[IExtensionRecords.KeyMaxBytes + 1]));

        private static ReadOnlySpan<byte> StoreKey(ReadOnlySpan<byte> key, Span<byte> destination)
        {
            Invariant.True(key.Length <= IExtensionRecords.KeyMaxBytes, key.Length);
            destination[0] = KvKeys.ExtensionSpace;
            key.CopyTo(destination[1..]);
            return destination[..(key.Length + 1)];
        }
    }
}
