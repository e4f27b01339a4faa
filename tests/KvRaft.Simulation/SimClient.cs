using System.Text;
using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// A simulated client speaking the client protocol, with at most one operation outstanding (as the history format
/// requires). It registers a session, follows NotLeader hints, retries a write under the same (client id,
/// sequence) until it gets a definite answer or its deadline passes (then the outcome is unknown), and records
/// every operation with what the API returned: get's value, delete's found-or-not, cas's swapped and current value.
/// Keys "k*" take every operation; keys "a*" are only appended to and read, for the exactly-once count.
/// </summary>
internal sealed class SimClient(Simulation simulation, int number, Prng random)
{
    public const int MixedKeys = 4;
    public const int AppendKeys = 2;
    private const int DeadlineTicks = 400;
    private ulong _clientId;
    private ulong _sequence;
    private int _target = 1 + random.Next(simulation.NodeCount);
    private int? _nextReadTarget; // set when a stale leader resumes
    private ulong _nextRequestId = 1;
    private Pending? _pending;
    private long _retryAt = -1;
    private bool _livenessAcknowledged;

    private sealed record Pending(ClientRequest Request, long CallTick, OperationKind Kind, string Key, string? Value, string? Expected)
    {
        public ulong FirstRequestId { get; set; }

        public long SentTick { get; set; }

        public int AttemptTimeoutTicks { get; set; }
    }

    public int Number => number;

    public bool Idle => _pending is null;

    /// <summary>Operations this client completed (a definite answer), for the liveness check.</summary>
    public long Completed { get; private set; }

    public long ConnectionId(int node) => (number * 100L) + node;

    /// <summary>
    /// The identity of this client's connections, as a client certificate's digest: odd-numbered clients have one
    /// (the leader stamps it on their sessions and writes, every replica checks it), even-numbered ones none (0).
    /// </summary>
    public ulong Identity => number % 2 == 1 ? 0x1D_0000UL + (ulong)number : 0;

    /// <summary>
    /// Called every tick: start an operation, resend a late one, or give up on it (never in the liveness phase,
    /// where the healed cluster must answer every outstanding operation).
    /// </summary>
    public void Act(bool issueNew, bool mayGiveUp = true)
    {
        var tick = simulation.Tick;
        if (_pending is { } pending)
        {
            if (mayGiveUp && tick - pending.CallTick > DeadlineTicks)
            {
                GiveUp(pending);
            }
            else if (_retryAt >= 0 && tick >= _retryAt)
            {
                Resend(pending);
            }
            else if (tick - pending.SentTick > pending.AttemptTimeoutTicks)
            {
                Failover(pending);
            }

            return;
        }
        if (!issueNew)
        {
            return;
        }

        if (_clientId == 0)
        {
            Start(new ClientRequest { Op = ClientOp.RegisterSession }, OperationKind.Put, "", null, null);
        }
        else
        {
            StartRandomOperation();
        }
    }

    private void StartRandomOperation()
    {
        var value = $"v-{number}-{_sequence + 1};"; // the ";" keeps appended values apart
        if (random.Chance(0.3))
        {
            var appendKey = "a" + random.Next(AppendKeys);
            if (random.Chance(0.6))
            {
                StartWrite(ClientOp.Append, OperationKind.Append, appendKey, value, null);
            }
            else
            {
                Start(new ClientRequest { Op = ClientOp.Get, Key = Bytes(appendKey) }, OperationKind.Get, appendKey, null, null);
            }

            return;
        }
        var key = "k" + random.Next(MixedKeys);
        switch (random.Next(10))
        {
            case < 4:
                Start(new ClientRequest { Op = ClientOp.Get, Key = Bytes(key) }, OperationKind.Get, key, null, null);
                break;
            case < 6:
                StartWrite(ClientOp.Put, OperationKind.Put, key, value, null);
                break;
            case < 7:
                StartWrite(ClientOp.Append, OperationKind.Append, key, value, null);
                break;
            case < 8:
                StartWrite(ClientOp.Delete, OperationKind.Delete, key, null, null);
                break;
            default:
                StartWrite(ClientOp.CompareAndSet, OperationKind.Cas, key, value, simulation.LastValueSeen(key));
                break;
        }
    }

    private void StartWrite(ClientOp op, OperationKind kind, string key, string? value, string? expected)
    {
        _sequence++;
        var request = new ClientRequest
        {
            Op = op,
            ClientId = _clientId,
            Sequence = _sequence,
            Key = Bytes(key),
            Value = value is null ? default : Bytes(value),
            ExpectAbsent = op == ClientOp.CompareAndSet && expected is null,
            Expected = expected is null ? default : Bytes(expected),
        };
        Start(request, kind, key, value, expected);
    }

    private void Start(ClientRequest request, OperationKind kind, string key, string? value, string? expected)
    {
        // A read now and then goes to any node: a stale leader that still answers is then within a client's reach.
        if (kind == OperationKind.Get && _nextReadTarget is { } chosen)
        {
            (_target, _nextReadTarget) = (chosen, null);
        }
        else if (kind == OperationKind.Get && random.Chance(0.3))
        {
            _target = 1 + random.Next(simulation.NodeCount);
        }

        _pending = new Pending(request, simulation.Tick, kind, key, value, expected) { FirstRequestId = _nextRequestId };
        simulation.Trace($"client {number} calls {kind} {key} {value} (seq {request.Sequence})");
        Resend(_pending);
    }

    /// <summary>This client's next read goes to <paramref name="node"/> (a leader it believes current).</summary>
    public void ReadNextFrom(int node) => _nextReadTarget = node;

    private void Resend(Pending pending)
    {
        _retryAt = -1;
        pending.SentTick = simulation.Tick;
        pending.AttemptTimeoutTicks = 8 + random.Next(16); // a client's patience varies, as real clients' do
        var request = pending.Request with { RequestId = _nextRequestId++ };
        simulation.Network.SendRequest(_target, ConnectionId(_target), request, Identity);
    }

    private void Failover(Pending pending)
    {
        _target = 1 + (_target % simulation.NodeCount);
        Resend(pending);
    }

    /// <summary>
    /// The liveness phase: finish what is outstanding, then (client 0 only) register if needed and put one new value;
    /// true once that put is acknowledged.
    /// </summary>
    public bool ActForLiveness(bool writer)
    {
        Act(issueNew: false, mayGiveUp: false);
        if (!writer)
        {
            return Idle;
        }

        if (_livenessAcknowledged)
        {
            return true;
        }

        if (!Idle || LivenessWriteSequence != 0)
        {
            return false; // still waiting
        }

        if (_clientId == 0)
        {
            Start(new ClientRequest { Op = ClientOp.RegisterSession }, OperationKind.Put, "", null, null);
            return false;
        }
        StartWrite(ClientOp.Put, OperationKind.Put, "live", $"live-{number};", null);
        LivenessWriteSequence = (long)_sequence;
        return false;
    }

    /// <summary>The session and sequence of the liveness put, once issued.</summary>
    public long LivenessWriteSequence { get; private set; }

    public long ClientId => (long)_clientId;

    /// <summary>
    /// A response from a node. A definite answer to any attempt of the outstanding operation completes it (a late
    /// answer from an earlier attempt is as true as a fresh one); redirections count only from the latest attempt.
    /// </summary>
    public void OnResponse(int node, in ClientResponse response)
    {
        if (_pending is not { } pending || response.RequestId < pending.FirstRequestId || response.RequestId >= _nextRequestId)
        {
            return;
        }

        var latest = response.RequestId == _nextRequestId - 1 && node == _target;
        if (!latest && response.Status is not (ClientStatus.Ok or ClientStatus.NotFound))
        {
            return;
        }

        switch (response.Status)
        {
            case ClientStatus.NotLeader:
                _target = response.LeaderKnown ? response.LeaderId : 1 + (_target % simulation.NodeCount);
                _retryAt = simulation.Tick + 1;
                return;
            case ClientStatus.Retryable:
                _retryAt = simulation.Tick + 1 + random.Next(5);
                return;
            case ClientStatus.Ok or ClientStatus.NotFound:
                Complete(pending, response);
                return;
            default:
                throw new SimulationFailure(simulation.Options.Seed, simulation.Tick, ViolationKind.UnexpectedException,
                    $"client {number}: unexpected {response.Status} ({response.Message}) for {pending.Request.Op} seq {pending.Request.Sequence}");
        }
    }

    private void Complete(Pending pending, in ClientResponse response)
    {
        _pending = null;
        Completed++;
        if (pending.Request.Op == ClientOp.RegisterSession)
        {
            _clientId = response.ClientId;
            simulation.Trace($"client {number} has session {_clientId}");
            return;
        }
        var output = pending.Kind switch
        {
            OperationKind.Get => response.Status == ClientStatus.Ok ? Text(response.Value) : "",
            OperationKind.Delete => response.Status == ClientStatus.Ok ? "true" : "false",
            OperationKind.Cas => response.Swapped ? "true" : "false",
            _ => null,
        };
        var current = pending.Kind == OperationKind.Cas && !response.Swapped ? (response.ValuePresent ? Text(response.Value) : "") : null;
        if (pending.Kind == OperationKind.Get && output is { Length: > 0 })
        {
            simulation.SawValue(pending.Key, output);
        }

        if (current is { Length: > 0 })
        {
            simulation.SawValue(pending.Key, current);
        }

        if (pending.Request.ClientId != 0 && (long)pending.Request.Sequence == LivenessWriteSequence)
        {
            _livenessAcknowledged = true;
        }

        if (pending.Request.ClientId != 0)
        {
            simulation.Audit.OnAcknowledged((long)pending.Request.ClientId, (long)pending.Request.Sequence, pending.Kind, pending.Key, pending.Value);
        }

        simulation.Trace($"client {number} returns {pending.Kind} {pending.Key} -> {output ?? "ok"}{(current is null ? "" : $" (current {current})")}");
        simulation.Record(new Operation(number, pending.Kind, pending.Key, pending.Value, CasExpected(pending), output,
            Nanoseconds(pending.CallTick), Nanoseconds(simulation.Tick), OperationStatus.Completed)
        {
            Current = current,
        });
    }

    private void GiveUp(Pending pending)
    {
        _pending = null;
        if (pending.Request.Op == ClientOp.RegisterSession)
        {
            return;
        }

        simulation.Trace($"client {number} gives up {pending.Kind} {pending.Key} (seq {pending.Request.Sequence})");
        if (pending.Request.ClientId != 0 && pending.Kind != OperationKind.Get)
        {
            simulation.Audit.OnUnknown((long)pending.Request.ClientId, (long)pending.Request.Sequence, pending.Kind, pending.Key, pending.Value);
        }
        // Outcome unknown: the write may still apply (a later sequence makes an older one stale, never applied twice).
        simulation.Record(new Operation(number, pending.Kind, pending.Key, pending.Value, CasExpected(pending), null,
            Nanoseconds(pending.CallTick), Nanoseconds(simulation.Tick), OperationStatus.Unknown));
    }

    // In the history format an expected value of "" means "expect absent".
    private static string? CasExpected(Pending pending) => pending.Kind == OperationKind.Cas ? pending.Expected ?? "" : null;

    private static long Nanoseconds(long tick) => tick * 1_000_000;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
