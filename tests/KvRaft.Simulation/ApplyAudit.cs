using System.Buffers;
using System.Text;
using KvRaft.Linearizability;
using KvRaft.Storage;

namespace KvRaft.Simulation;

/// <summary>
/// What every node applied, checked as it happens: one log position always applies the same command with the same
/// result, on every node and after every restart (state machine safety); a client write is applied as new at one
/// log position at most (exactly once: a retry is answered from the session, never applied again); a write
/// acknowledged to its client was applied. At the end, each append-only key holds every acknowledged append exactly
/// once and every append of unknown outcome at most once.
/// </summary>
internal sealed class ApplyAudit(Simulation simulation)
{
    private readonly Dictionary<(long Index, int Position), int> _applied = new(); // fingerprint of command and result
    private readonly Dictionary<(long ClientId, long Sequence), long> _appliedAt = new();
    private readonly List<Write> _acknowledged = new();
    private readonly List<Write> _unknown = new();

    private readonly record struct Write(long ClientId, long Sequence, OperationKind Kind, string Key, string? Value);

    /// <summary>Applications checked.</summary>
    public long Applies { get; private set; }

    /// <summary>A batch <paramref name="node"/> applied (the commands as proposed) and its results.</summary>
    public void OnApply(int node, ReadOnlySpan<KvApply> batch, List<KvResult> results, int firstResult)
    {
        var position = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var apply = batch[i];
            position = i > 0 && batch[i - 1].Index == apply.Index ? position + 1 : 0;
            var result = results[firstResult + i];
            CheckSamePosition(node, apply, position, result);
            if (AppliedAsNew(apply.Command, result))
            {
                CheckAppliedOnce(node, apply);
            }

            Applies++;
        }
    }

    private void CheckSamePosition(int node, in KvApply apply, int position, in KvResult result)
    {
        var fingerprint = Fingerprint(apply, result);
        if (_applied.TryAdd((apply.Index, position), fingerprint))
        {
            return;
        }

        if (_applied[(apply.Index, position)] != fingerprint)
        {
            simulation.Fail(ViolationKind.StateMachineSafety,
                $"n{node} applied {Describe(apply.Command)} at {apply.Index}#{position} with result {result.Status}, unlike what was applied there before");
        }
    }

    private static bool AppliedAsNew(in KvCommand command, in KvResult result) =>
        command.ClientId != 0 && command.Op != KvOp.RegisterSession && !result.Duplicate
        && result.Status is not (KvStatus.StaleSequence or KvStatus.SequenceReused or KvStatus.SessionExpired or KvStatus.TooLarge);

    private void CheckAppliedOnce(int node, in KvApply apply)
    {
        var write = (apply.Command.ClientId, apply.Command.Sequence);
        if (_appliedAt.TryAdd(write, apply.Index) || _appliedAt[write] == apply.Index)
        {
            return;
        }

        simulation.Fail(ViolationKind.DuplicateApply,
            $"n{node} applied client {write.ClientId} sequence {write.Sequence} ({Describe(apply.Command)}) at {apply.Index}, already applied at {_appliedAt[write]}");
    }

    /// <summary>The log index at which a client write was applied as new, or -1.</summary>
    public long AppliedIndexOf(long clientId, long sequence) => _appliedAt.GetValueOrDefault((clientId, sequence), -1);

    /// <summary>A client got a definite answer for its write: it must have been applied, once.</summary>
    public void OnAcknowledged(long clientId, long sequence, OperationKind kind, string key, string? value)
    {
        if (kind == OperationKind.Get)
        {
            return;
        }

        if (!_appliedAt.ContainsKey((clientId, sequence)))
        {
            simulation.Fail(ViolationKind.AcknowledgedWriteLost, $"client {clientId} sequence {sequence} ({kind} {key}) acknowledged but never applied");
        }
        _acknowledged.Add(new Write(clientId, sequence, kind, key, value));
    }

    /// <summary>A client gave up on a write: it may have been applied, at most once.</summary>
    public void OnUnknown(long clientId, long sequence, OperationKind kind, string key, string? value) =>
        _unknown.Add(new Write(clientId, sequence, kind, key, value));

    /// <summary>Every acknowledged append is in its append-only key exactly once; every unknown one at most once.</summary>
    public void CheckAppendOnlyKeys(Func<string, string> finalValue)
    {
        var values = new Dictionary<string, string>();
        foreach (var write in _acknowledged.Concat(_unknown).Where(w => w.Kind == OperationKind.Append && w.Key.StartsWith('a')))
        {
            if (!values.TryGetValue(write.Key, out var value))
            {
                values[write.Key] = value = finalValue(write.Key);
            }

            var count = Count(value, write.Value!);
            var acknowledged = _acknowledged.Contains(write);
            if ((acknowledged && count != 1) || count > 1)
            {
                simulation.Fail(count > 1 ? ViolationKind.DuplicateApply : ViolationKind.AcknowledgedWriteLost,
                    $"{(acknowledged ? "acknowledged" : "unknown")} append {write.Value} appears {count} times in {write.Key}");
            }
        }
    }

    private static int Count(string value, string piece)
    {
        var count = 0;
        for (var at = value.IndexOf(piece, StringComparison.Ordinal); at >= 0; at = value.IndexOf(piece, at + piece.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static int Fingerprint(in KvApply apply, in KvResult result)
    {
        var command = apply.Command;
        var hash = default(HashCode);
        hash.Add(apply.Term);
        hash.Add(command.Op);
        hash.AddBytes(command.Key.Span);
        hash.AddBytes(command.Value.Span);
        hash.Add(command.Expected.HasValue);
        if (command.Expected is { } expected)
        {
            hash.AddBytes(expected.Span);
        }

        hash.Add(command.ClientId);
        hash.Add(command.Sequence);
        hash.Add(result.Status);
        hash.Add(result.Duplicate);
        hash.Add(result.Value is null);
        if (result.Value is { } value)
        {
            hash.AddBytes(value);
        }

        return hash.ToHashCode();
    }

    private static string Describe(in KvCommand command) =>
        $"{command.Op} {Encoding.UTF8.GetString(command.Key.Span)} (client {command.ClientId}, seq {command.Sequence})";
}

/// <summary>
/// The state machine the node sees: the memory twin, with every applied batch reported to the audit. With the planted
/// bug DedupOff the commands reach the store without their session, so retries apply again.
/// </summary>
internal sealed class AuditedStateMachine(MemoryKvStateMachine inner, ApplyAudit audit, int node) : IKvStateMachine
{
    public long AppliedIndex => inner.AppliedIndex;

    public long AppliedTerm => inner.AppliedTerm;

    public int SessionCount => inner.SessionCount;

    public byte[] Configuration => inner.Configuration;

    public ISnapshotSource? LatestSnapshot => inner.LatestSnapshot;

    public SnapshotPhases LastSnapshotPhases => inner.LastSnapshotPhases;

    public byte[] ShardState => inner.ShardState;

    public ShardOfKey? ShardOf { get => inner.ShardOf; set => inner.ShardOf = value; }

    public ShardChunk ExportShard(ShardExportRequest request) => inner.ExportShard(request);

    public void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        var first = results.Count;
        if (PlantedBugs.Has(PlantedBug.DedupOff))
        {
            var stripped = batch.ToArray();
            for (var i = 0; i < stripped.Length; i++)
            {
                if (stripped[i].Command.Op != KvOp.RegisterSession)
                {
                    stripped[i] = stripped[i] with { Command = stripped[i].Command with { ClientId = 0, Sequence = 0 } };
                }
            }
            inner.ApplyBatch(stripped, results);
        }
        else
        {
            inner.ApplyBatch(batch, results);
        }
        audit.OnApply(node, batch, results, first);
    }

    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value) => inner.TryGet(key, value);

    public bool TryGetSession(long clientId, out long lastSequence) => inner.TryGetSession(clientId, out lastSequence);

    public ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default) =>
        inner.TakeSnapshotAsync(configuration, cancellationToken);

    public void Dispose() => inner.Dispose();
}
