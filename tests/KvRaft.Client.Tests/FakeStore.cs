// Goal: an in-memory state machine for the fake server, with sessions deduplicating by (client id, last sequence) like the real one. Method: one lock, counts of applications per (client id, sequence).
using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

/// <summary>The fake servers' shared state: keys, sessions, and how often each write was applied.</summary>
internal sealed class FakeStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, (ulong Last, ClientResponse Answer)> _sessions = new();
    private readonly Dictionary<(ulong ClientId, ulong Sequence), int> _applications = new();
    private ulong _nextClientId = 100;

    /// <summary>How many times the write (clientId, sequence) changed the state.</summary>
    public int Applications(ulong clientId, ulong sequence)
    {
        lock (_lock)
        {
            return _applications.GetValueOrDefault((clientId, sequence));
        }
    }

    /// <summary>Every (clientId, sequence) applied more than once.</summary>
    public int DuplicateApplications()
    {
        lock (_lock)
        {
            return _applications.Values.Count(count => count > 1);
        }
    }

    public string? Value(string key)
    {
        lock (_lock)
        {
            return _values.TryGetValue(key, out var value) ? Encoding.UTF8.GetString(value) : null;
        }
    }

    public void ExpireSession(ulong clientId)
    {
        lock (_lock)
        {
            _sessions.Remove(clientId);
        }
    }

    public ClientResponse Execute(in ClientRequest request)
    {
        var ok = new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok };
        lock (_lock)
        {
            switch (request.Op)
            {
                case ClientOp.RegisterSession:
                    var clientId = ++_nextClientId;
                    _sessions[clientId] = (0, ok);
                    return ok with { ClientId = clientId };
                case ClientOp.Get:
                    return _values.TryGetValue(Key(request), out var value) ? ok with { Value = value, ValuePresent = true } : ok with { Status = ClientStatus.NotFound };
                case ClientOp.Status:
                    return ok with { Node = new NodeStatus { NodeId = 1, Role = NodeRole.Leader, Term = 3, LeaderKnown = true, LeaderId = 1 } };
                default:
                    return Write(request, ok);
            }
        }
    }

    private ClientResponse Write(in ClientRequest request, ClientResponse ok)
    {
        if (!_sessions.TryGetValue(request.ClientId, out var session))
        {
            return ok with { Status = ClientStatus.SessionExpired };
        }
        if (request.Sequence <= session.Last)
        {
            return session.Answer with { RequestId = request.RequestId }; // a duplicate: the remembered answer
        }
        var answer = Apply(request, ok);
        _sessions[request.ClientId] = (request.Sequence, answer);
        var id = (request.ClientId, request.Sequence);
        _applications[id] = _applications.GetValueOrDefault(id) + 1;
        return answer;
    }

    private ClientResponse Apply(in ClientRequest request, ClientResponse ok)
    {
        var key = Key(request);
        var existing = _values.GetValueOrDefault(key);
        switch (request.Op)
        {
            case ClientOp.Put:
                _values[key] = request.Value.ToArray();
                return ok;
            case ClientOp.Append:
                _values[key] = [.. existing ?? [], .. request.Value.Span];
                return ok;
            case ClientOp.Delete:
                return _values.Remove(key) ? ok : ok with { Status = ClientStatus.NotFound };
            default:
                var matches = request.ExpectAbsent ? existing is null : existing is not null && existing.AsSpan().SequenceEqual(request.Expected.Span);
                if (matches)
                {
                    _values[key] = request.Value.ToArray();
                }
                var current = _values.GetValueOrDefault(key);
                return ok with { Swapped = matches, ValuePresent = current is not null, Value = current };
        }
    }

    private static string Key(in ClientRequest request) => Encoding.UTF8.GetString(request.Key.Span);
}
