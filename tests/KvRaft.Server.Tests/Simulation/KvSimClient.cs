using System.Text;
using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>
/// A simulated client with at most one operation outstanding (as the history format requires).
/// It registers a session, follows NotLeader hints, retries a write under the same (client id,
/// sequence) until it gets a definite answer or its deadline passes, and records every operation.
/// </summary>
internal sealed class KvSimClient(KvSimCluster cluster, int number, Prng random, int keyCount)
{
    private const int AttemptTimeoutTicks = 25;
    private const int DeadlineTicks = 300;
    private ulong _clientId;
    private ulong _sequence;
    private int _target = 1 + random.Next(cluster.NodeCount);
    private ulong _nextRequestId = 1;
    private Pending? _pending;
    private long _retryAt = -1;

    private sealed record Pending(ClientRequest Request, long CallTick, OperationKind Kind, string Key, string? Value, string? Expected)
    {
        public long SentTick { get; set; }
    }

    public int Number => number;

    public bool Idle => _pending is null;

    public long ConnectionId(int node) => (number * 100L) + node;

    /// <summary>Called every tick: start an operation, resend a late one, or give up on it.</summary>
    public void Act(bool issueNew)
    {
        var tick = cluster.Tick;
        if (_pending is { } pending)
        {
            if (tick - pending.CallTick > DeadlineTicks)
            {
                GiveUp(pending);
            }
            else if (_retryAt >= 0 && tick >= _retryAt)
            {
                Resend(pending);
            }
            else if (tick - pending.SentTick > AttemptTimeoutTicks)
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
        var key = "k" + random.Next(keyCount);
        var value = $"v-{number}-{_sequence + 1};"; // the ";" keeps appended values apart
        switch (random.Next(10))
        {
            case < 4:
                Start(new ClientRequest { Op = ClientOp.Get, Key = Bytes(key) }, OperationKind.Get, key, null, null);
                break;
            case < 6:
                StartWrite(ClientOp.Put, OperationKind.Put, key, value, null);
                break;
            case < 8:
                StartWrite(ClientOp.Append, OperationKind.Append, key, value, null);
                break;
            case 8:
                StartWrite(ClientOp.Delete, OperationKind.Delete, key, null, null);
                break;
            default:
                var expected = cluster.LastValueSeen(key);
                StartWrite(ClientOp.CompareAndSet, OperationKind.Cas, key, value, expected);
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
        _pending = new Pending(request, cluster.Tick, kind, key, value, expected);
        Resend(_pending);
    }

    private void Resend(Pending pending)
    {
        _retryAt = -1;
        pending.SentTick = cluster.Tick;
        var request = pending.Request with { RequestId = _nextRequestId++ };
        cluster.SendRequest(this, _target, request);
    }

    private void Failover(Pending pending)
    {
        _target = 1 + ((_target) % cluster.NodeCount);
        Resend(pending);
    }

    /// <summary>A response from a node; stale ones (older attempts) are ignored.</summary>
    public void OnResponse(int node, in ClientResponse response)
    {
        if (_pending is not { } pending || response.RequestId != _nextRequestId - 1 || node != _target)
        {
            return;
        }

        switch (response.Status)
        {
            case ClientStatus.NotLeader:
                _target = response.LeaderKnown ? response.LeaderId : 1 + (_target % cluster.NodeCount);
                _retryAt = cluster.Tick + 1;
                return;
            case ClientStatus.Retryable:
                _retryAt = cluster.Tick + 1 + random.Next(5);
                return;
            case ClientStatus.Ok or ClientStatus.NotFound:
                Complete(pending, response);
                return;
            default:
                throw new InvalidOperationException($"client {number}: unexpected {response.Status} ({response.Message}) for {pending.Request.Op}");
        }
    }

    private void Complete(Pending pending, in ClientResponse response)
    {
        _pending = null;
        if (pending.Request.Op == ClientOp.RegisterSession)
        {
            _clientId = response.ClientId;
            return;
        }
        string? output = null;
        if (pending.Kind == OperationKind.Get)
        {
            output = response.ValuePresent ? Encoding.UTF8.GetString(response.Value.Span) : "";
        }

        if (pending.Kind == OperationKind.Cas)
        {
            output = response.Swapped ? "true" : "false";
        }

        if (pending.Kind == OperationKind.Get && output is { Length: > 0 })
        {
            cluster.SawValue(pending.Key, output);
        }

        cluster.Record(new Operation(number, pending.Kind, pending.Key, pending.Value, CasExpected(pending), output,
            Nanoseconds(pending.CallTick), Nanoseconds(cluster.Tick), OperationStatus.Completed));
    }

    private void GiveUp(Pending pending)
    {
        _pending = null;
        if (pending.Request.Op == ClientOp.RegisterSession)
        {
            return;
        }
        // Outcome unknown: the write may still apply (a later sequence makes an older one stale, never applied twice).
        cluster.Record(new Operation(number, pending.Kind, pending.Key, pending.Value, CasExpected(pending), null,
            Nanoseconds(pending.CallTick), Nanoseconds(cluster.Tick), OperationStatus.Unknown));
    }

    // In the history format an expected value of "" means "expect absent".
    private static string? CasExpected(Pending pending) => pending.Kind == OperationKind.Cas ? pending.Expected ?? "" : null;

    private static long Nanoseconds(long tick) => tick * 1_000_000;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
