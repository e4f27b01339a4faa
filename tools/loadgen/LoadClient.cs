// Goal: one logical client: issues operations one at a time (closed loop, or paced by the open-loop rate) and records each.
using System.Globalization;
using System.Runtime.CompilerServices;
using KvRaft.Client;
using KvRaft.Linearizability;

namespace KvRaft.Loadgen;

/// <summary>A logical client: at most one operation outstanding, as the history format requires.</summary>
internal sealed class LoadClient(int id, LoadSettings settings, KeyChooser keys, ILoadTarget target, LiveStatistics live, OperationBudget budget)
{
    private readonly Random _random = new(HashCode.Combine(settings.Seed, id));
    private readonly Dictionary<string, string> _lastSeen = new(StringComparer.Ordinal);
    private readonly bool _remembers = settings.Mix.HasCas;
    private readonly bool _keepsText = settings.KeepArguments || settings.Mix.HasCas; // else puts and appends send bytes, no string
    private byte[] _valueBytes = []; // the value of this client's one outstanding write, when sent as bytes
    private long _sequence;

    // Everything this client did, in order: whole records when the arguments are kept (a history), else only the
    // times and outcomes, in records without references: a long run keeps millions of them, and arrays of records
    // holding strings made every full collection of loadgen scan them all (one stopped it for 1.7 s).
    private readonly RecordLog<OperationRecord> _records = new();
    private readonly RecordLog<TimingRecord> _timings = new();
    private readonly List<string> _errorNames = []; // the distinct error names of _timings (a handful of types)

    /// <summary>Operations recorded so far.</summary>
    public int Count => settings.KeepArguments ? _records.Count : _timings.Count;

    /// <summary>Everything this client did, in order (without keys, values and outputs unless the arguments are kept).</summary>
    public IEnumerable<OperationRecord> Records => settings.KeepArguments ? _records : _timings.Select(ToRecord);

    /// <summary>
    /// Issues operations until the end time, the budget or cancellation; with <paramref name="atLeastOne"/> (a
    /// warm-up) one operation even when the client starts after the end time (a busy machine can start it late).
    /// </summary>
    public async Task RunAsync(long startNanoseconds, long endNanoseconds, CancellationToken cancellation, bool atLeastOne = false)
    {
        var intervalNanoseconds = settings.RatePerSecond > 0 ? (long)(settings.Clients * 1e9 / settings.RatePerSecond) : 0;
        var intended = startNanoseconds + (intervalNanoseconds > 0 ? _random.NextInt64(intervalNanoseconds) : 0);
        while (!cancellation.IsCancellationRequested)
        {
            if (intervalNanoseconds > 0)
            {
                await Clock.DelayUntilAsync(intended, cancellation).ConfigureAwait(false);
            }

            var now = Clock.NowNanoseconds();
            var ended = now >= endNanoseconds && !(atLeastOne && Count == 0);
            if (ended || !budget.TryTake())
            {
                return;
            }

            var record = await ExecuteAsync(intervalNanoseconds > 0 ? intended : now).ConfigureAwait(false);
            Keep(record);
            live.Record(id, record.LatencyNanoseconds, record.Ok == true);
            intended += intervalNanoseconds;
        }
    }

    // Pooled: the box of one operation is reused by the next (one thread runs both, most of the time).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<OperationRecord> ExecuteAsync(long intendedNanoseconds)
    {
        var kind = settings.Mix.Pick(_random);
        var index = keys.Next(_random);
        var key = keys.NameOf(index);
        var asBytes = !_keepsText && kind is OperationKind.Put or OperationKind.Append;
        var valueBytes = asBytes ? NextValueBytes() : 0;
        var value = !asBytes && kind is OperationKind.Put or OperationKind.Append or OperationKind.Cas ? NextValue() : null;
        var expected = kind == OperationKind.Cas ? _lastSeen.GetValueOrDefault(key) : null;
        var call = Clock.NowNanoseconds();
        string? output = null;
        Exception? error = null;
        try
        {
            // Awaited here, not in a helper: one state machine per operation on this side of the client.
            switch (kind)
            {
                case OperationKind.Get:
                    output = await target.GetAsync(id, key, settings.OperationTimeout).ConfigureAwait(false) ?? "";
                    break;
                case OperationKind.Put when asBytes:
                    await target.PutAsync(id, keys.NameBytesOf(index), _valueBytes.AsMemory(0, valueBytes), settings.OperationTimeout).ConfigureAwait(false);
                    break;
                case OperationKind.Put:
                    await target.PutAsync(id, key, value!, settings.OperationTimeout).ConfigureAwait(false);
                    break;
                case OperationKind.Append when asBytes:
                    await target.AppendAsync(id, keys.NameBytesOf(index), _valueBytes.AsMemory(0, valueBytes), settings.OperationTimeout).ConfigureAwait(false);
                    break;
                case OperationKind.Append:
                    await target.AppendAsync(id, key, value!, settings.OperationTimeout).ConfigureAwait(false);
                    break;
                case OperationKind.Delete:
                    await target.DeleteAsync(id, key, settings.OperationTimeout).ConfigureAwait(false);
                    break;
                default:
                    var result = await target.CompareAndSetAsync(id, key, expected, value!, settings.OperationTimeout).ConfigureAwait(false);
                    output = result.Swapped ? "true" : "false";
                    break;
            }
        }
#pragma warning disable CA1031 // Every ending is recorded; the target's Classify maps unexpected ones to "unknown".
        catch (Exception failure)
#pragma warning restore CA1031
        {
            error = failure;
        }
        var returned = Clock.NowNanoseconds();
        Remember(kind, key, value, output, error);
        return new OperationRecord(id, kind, key, value, expected, output, intendedNanoseconds, call, returned,
            target.Classify(error), error is null ? null : target.NameOf(error));
    }

    private void Keep(in OperationRecord record)
    {
        if (settings.KeepArguments)
        {
            _records.Add(record);
            return;
        }
        var error = -1;
        if (record.Error is not null)
        {
            error = _errorNames.IndexOf(record.Error);
            if (error < 0)
            {
                _errorNames.Add(record.Error);
                error = _errorNames.Count - 1;
            }
        }
        _timings.Add(new TimingRecord(record.Kind, record.IntendedNanoseconds, record.CallNanoseconds, record.ReturnNanoseconds,
            record.Ok switch { true => (sbyte)1, false => (sbyte)0, null => (sbyte)-1 }, error));
    }

    private OperationRecord ToRecord(TimingRecord timing) => new(id, timing.Kind, "", null, null, null, timing.IntendedNanoseconds,
        timing.CallNanoseconds, timing.ReturnNanoseconds, timing.Ok switch { 1 => true, 0 => false, _ => null },
        timing.Error < 0 ? null : _errorNames[timing.Error]);

    /// <summary>An operation's kind, times and outcome (1 ok, 0 failed, -1 unknown) and error name's index (-1: none).</summary>
    private readonly record struct TimingRecord(OperationKind Kind, long IntendedNanoseconds, long CallNanoseconds, long ReturnNanoseconds, sbyte Ok, int Error);

    private void Remember(OperationKind kind, string key, string? value, string? output, Exception? error)
    {
        // Only a Cas reads what was last seen; without Cas in the mix the map would grow to the key count per client.
        if (error is not null || !_remembers)
        {
            return;
        }

        if (kind == OperationKind.Get)
        {
            _lastSeen[key] = output!;
        }
        else if (kind == OperationKind.Put || (kind == OperationKind.Cas && output == "true"))
        {
            _lastSeen[key] = value!;
        }
        else
        {
            _lastSeen.Remove(key);
        }

        if (kind == OperationKind.Get && output!.Length == 0)
        {
            _lastSeen.Remove(key);
        }
    }

    private string NextValue() => ValueOf(id, ++_sequence, settings.ValueSize);

    /// <summary>The next value, as UTF-8 bytes into <see cref="_valueBytes"/> (grown when short); returns its length.</summary>
    private int NextValueBytes()
    {
        var length = ValueLength(id, ++_sequence, settings.ValueSize);
        if (_valueBytes.Length < length)
        {
            _valueBytes = new byte[Math.Max(length, 2 * _valueBytes.Length)];
        }
        return ValueBytesOf(id, _sequence, settings.ValueSize, _valueBytes);
    }

    /// <summary>"v-&lt;client&gt;-&lt;sequence&gt;" padded with dots to <paramref name="valueSize"/> (unique per write), made in one allocation.</summary>
    internal static string ValueOf(int client, long sequence, int valueSize)
    {
        var length = ValueLength(client, sequence, valueSize);
        return string.Create(length, (client, sequence), static (span, state) =>
        {
            span.Fill('.');
            var formatted = span.TryWrite(CultureInfo.InvariantCulture, $"v-{state.client}-{state.sequence}", out var written);
            Invariant.True(formatted && written <= span.Length);
        });
    }

    /// <summary><see cref="ValueOf"/> as UTF-8 bytes, into the start of <paramref name="destination"/>; returns the length.</summary>
    internal static int ValueBytesOf(int client, long sequence, int valueSize, Span<byte> destination)
    {
        var span = destination[..ValueLength(client, sequence, valueSize)];
        span.Fill((byte)'.');
        var formatted = System.Text.Unicode.Utf8.TryWrite(span, CultureInfo.InvariantCulture, $"v-{client}-{sequence}", out var written);
        Invariant.True(formatted && written <= span.Length);
        return span.Length;
    }

    /// <summary>The length of <see cref="ValueOf"/>: the size asked for, or more when the name of the write is longer.</summary>
    private static int ValueLength(int client, long sequence, int valueSize) => Math.Max(valueSize, 3 + DigitCount(client) + DigitCount(sequence));

    private static int DigitCount(long value)
    {
        var digits = 1;
        for (; value >= 10; value /= 10)
        {
            digits++;
        }

        return digits;
    }
}

/// <summary>The shared operation count of an --operations run (unlimited otherwise).</summary>
internal sealed class OperationBudget(long? total)
{
    private readonly bool _limited = total is not null;
    private long _remaining = total ?? long.MaxValue;

    /// <summary>Takes one operation; false when none is left (no shared counter touched when the run is not limited).</summary>
    public bool TryTake() => !_limited || Interlocked.Decrement(ref _remaining) >= 0;
}
