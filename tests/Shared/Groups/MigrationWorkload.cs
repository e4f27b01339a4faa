// Goal: clients of a sharded GroupedCluster that append unique tokens and read keys while shards move, and the checks
// of what they saw; method: each client keeps one request outstanding, routes each key by the controller's latest
// configuration it cached (refreshed from the controller on WrongGroup), resends the SAME request (same session, same sequence) after WrongGroup, NotLeader, Retryable or
// silence (as KvClient does), and every answer and every final value is checked per key; every operation is recorded
// (steps as its times) for the per-key linearizability checker.
using System.Text;
using KvRaft.Linearizability;
using KvRaft.Protocol;
using Xunit;

namespace KvRaft.Testing.Groups;

/// <summary>What a migration run found: the violations of each check, by the check's name.</summary>
internal sealed record MigrationVerdict(List<string> LostAcknowledgedAppends, List<string> AppliedTwice, List<string> StaleReads, List<string> SessionsNotMoved, int Acknowledged, int Moves)
{
    /// <summary>Clients whose operation was still not answered when the run ended (liveness).</summary>
    public List<string> Unfinished { get; init; } = [];

    public bool Passed => LostAcknowledgedAppends.Count + AppliedTwice.Count + StaleReads.Count + SessionsNotMoved.Count + Unfinished.Count == 0;

    public override string ToString() =>
        $"{Acknowledged} appends acknowledged over {Moves} moves; lost acknowledged appends: {string.Join("; ", LostAcknowledgedAppends.Take(3))} " +
        $"| applied twice: {string.Join("; ", AppliedTwice.Take(3))} | stale reads: {string.Join("; ", StaleReads.Take(3))} " +
        $"| sessions that did not move with their shard: {string.Join("; ", SessionsNotMoved.Take(3))}" +
        (Unfinished.Count > 0 ? $" | unfinished: {string.Join("; ", Unfinished.Take(3))}" : "");
}

/// <summary>Clients appending to and reading a few keys of every shard while the test moves shards and crashes processes.</summary>
internal sealed partial class MigrationWorkload(GroupedCluster cluster, int clients, int keys)
{
    private const int SilenceSteps = 150; // a request unanswered this long is sent again, unchanged

    private sealed class Client
    {
        public Dictionary<int, (ulong Session, ulong Sequence)> Sessions { get; } = [];
        public ClientRequest? Pending { get; set; }
        public string? Token { get; set; }
        public int Group { get; set; }
        public ulong RequestId { get; set; }
        public long SentAt { get; set; }
        public long ResendAt { get; set; }
        public long StartedAt { get; set; } // the step the pending operation was first sent
        public bool MaySent { get; set; } // an attempt of the pending operation may have reached a leader without a definite answer
        public HashSet<string> AcknowledgedBeforeRead { get; set; } = [];
        public int Next { get; set; }
        public KvRaft.Protocol.Sharding.ShardConfiguration? Configuration { get; set; } // the client's cached configuration, refreshed on WrongGroup
    }

    private readonly Client[] _clients = Enumerable.Range(0, clients).Select(_ => new Client()).ToArray();
    private readonly Dictionary<string, HashSet<string>> _acknowledged = []; // key → tokens acknowledged
    private readonly HashSet<string> _attempted = []; // tokens sent at least once
    private readonly List<string> _staleReads = [];
    private readonly List<string> _sessionsNotMoved = [];

    /// <summary>Every operation ended so far, its times in steps (the history the linearizability checker reads).</summary>
    public List<Operation> History { get; } = [];

    private string KeyOf(int index) => "key" + index;

    /// <summary>Registers every client's session in every data group, before anything moves (so every session exists at every freeze).</summary>
    public void RegisterSessions()
    {
        foreach (var client in _clients)
        {
            for (var group = 1; group < cluster.Groups; group++)
            {
                var answer = cluster.Call(group, new ClientRequest { Op = ClientOp.RegisterSession });
                Assert.Equal(ClientStatus.Ok, answer.Status);
                client.Sessions[group] = (answer.ClientId, 0);
            }
            client.Configuration = cluster.LatestConfiguration;
        }
    }

    /// <summary>One step of every client: take its answer, or resend, or (when <paramref name="startNew"/>) start its next operation.</summary>
    public void Step(bool startNew = true)
    {
        CacheLatestConfiguration();
        for (var i = 0; i < _clients.Length; i++)
        {
            var client = _clients[i];
            if (client.Pending is null)
            {
                if (startNew)
                {
                    Start(i, client);
                }
                continue;
            }
            if (client.RequestId != 0 && cluster.Answer(client.RequestId) is { } answer)
            {
                client.RequestId = 0;
                OnAnswer(client, answer);
            }
            else if (cluster.Step - client.SentAt > SilenceSteps)
            {
                client.RequestId = 0; // unanswered (lost to a crash): an outcome unknown, sent again unchanged
                client.MaySent = true;
                client.ResendAt = cluster.Step;
            }
            if (client.Pending is not null && client.RequestId == 0 && cluster.Step >= client.ResendAt)
            {
                Send(client);
            }
        }
    }

    private void Start(int index, Client client)
    {
        var key = KeyOf(cluster.Random.Next(keys));
        var bytes = Encoding.UTF8.GetBytes(key);
        var group = client.Configuration!.OwnerOfKey(bytes);
        if (cluster.Random.Next(5) == 0)
        {
            client.Token = null;
            client.AcknowledgedBeforeRead = [.. _acknowledged.GetValueOrDefault(key) ?? []];
            client.Pending = new ClientRequest { Op = ClientOp.Get, Key = bytes };
        }
        else
        {
            var (session, sequence) = client.Sessions[group];
            client.Sessions[group] = (session, sequence + 1);
            client.Token = $"c{index}.{client.Next++};";
            _attempted.Add(client.Token);
            client.Pending = new ClientRequest { Op = ClientOp.Append, ClientId = session, Sequence = sequence + 1, Key = bytes, Value = Encoding.UTF8.GetBytes(client.Token) };
        }
        client.ResendAt = client.StartedAt = cluster.Step;
        client.MaySent = false;
        Send(client);
    }

    /// <summary>Records the end of <paramref name="client"/>'s pending operation: completed with <paramref name="output"/> (a Get's), or of unknown outcome.</summary>
    private void Record(Client client, string key, OperationStatus status, string? output = null)
    {
        var request = client.Pending!.Value;
        var kind = request.Op == ClientOp.Get ? OperationKind.Get : OperationKind.Append;
        // Times: an answer taken at step s came before a request sent at step s (it arrived during an earlier step).
        History.Add(new Operation(Array.IndexOf(_clients, client), kind, key, client.Token, null, kind == OperationKind.Get ? output : null, (2 * client.StartedAt) + 1, 2 * cluster.Step, status));
    }

    /// <summary>The share of requests sent to a running process drawn at random instead of the group's leader (0: none): followers answer NotLeader, a deposed leader must not serve.</summary>
    public double MisrouteChance { get; init; }

    private void Send(Client client)
    {
        client.Group = client.Configuration!.OwnerOfKey(client.Pending!.Value.Key.Span);
        var running = MisrouteChance > 0 && cluster.Random.NextDouble() < MisrouteChance ? cluster.Processes.Where(process => process.Replicas is not null).ToArray() : [];
        client.RequestId = running.Length > 0
            ? cluster.SubmitTo(running[cluster.Random.Next(running.Length)].Id, client.Group, client.Pending.Value)
            : cluster.Submit(client.Group, client.Pending.Value);
        client.SentAt = cluster.Step;
        if (client.RequestId == 0)
        {
            client.ResendAt = cluster.Step + 5; // no leader there yet
        }
    }

    private void OnAnswer(Client client, ClientResponse answer)
    {
        var request = client.Pending!.Value;
        var key = Encoding.UTF8.GetString(request.Key.Span);
        switch (answer.Status)
        {
            case ClientStatus.Ok or ClientStatus.NotFound when request.Op == ClientOp.Get:
                var tokens = Tokens(answer.Status == ClientStatus.Ok ? Encoding.UTF8.GetString(answer.Value.Span) : "");
                var missing = client.AcknowledgedBeforeRead.Where(token => !tokens.Contains(token)).ToList();
                if (missing.Count > 0)
                {
                    _staleReads.Add($"{key}: a read at step {cluster.Step} from group {client.Group} misses {string.Join(",", missing.Take(3))}, acknowledged before it was sent");
                }
                Record(client, key, OperationStatus.Completed, answer.Status == ClientStatus.Ok ? Encoding.UTF8.GetString(answer.Value.Span) : "");
                client.Pending = null;
                return;
            case ClientStatus.Ok:
                _acknowledged.TryAdd(key, []);
                _acknowledged[key].Add(client.Token!);
                Record(client, key, OperationStatus.Completed);
                client.Pending = null;
                return;
            case ClientStatus.SessionExpired:
                OnSessionExpired(client, request, key);
                return;
            case ClientStatus.WrongGroup:
                client.Configuration = cluster.LatestConfiguration; // what asking the controller gives
                client.ResendAt = cluster.Step + 10;
                return;
            case ClientStatus.NotLeader or ClientStatus.Retryable:
                client.MaySent |= answer.Status == ClientStatus.Retryable; // a leader took it and may still apply it
                client.ResendAt = cluster.Step + 2;
                return;
            default:
                Assert.Fail($"{request.Op} {key}: unexpected answer {answer.Status} {answer.Message}");
                return;
        }
    }

    private static List<string> Tokens(string value) => value.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(token => token + ";").ToList();

    /// <summary>
    /// Lets every outstanding request end (no new ones), then reads every key back and checks what it holds; a client
    /// still waiting after <paramref name="stepsMax"/> is named in <see cref="MigrationVerdict.Unfinished"/> (and its
    /// operation recorded of unknown outcome), a final read unanswered throws.
    /// </summary>
    public MigrationVerdict Finish(int moves, int stepsMax = 20_000)
    {
        for (var i = 0; i < stepsMax && _clients.Any(client => client.Pending is not null); i++)
        {
            Step(startNew: false);
            cluster.RunSteps(1);
        }
        var unfinished = new List<string>();
        foreach (var client in _clients.Where(client => client.Pending is not null))
        {
            var request = client.Pending!.Value;
            var key = Encoding.UTF8.GetString(request.Key.Span);
            unfinished.Add($"client {Array.IndexOf(_clients, client)}: {request.Op} {key} sent at step {client.StartedAt} to group {client.Group}, unanswered at step {cluster.Step}");
            Record(client, key, OperationStatus.Unknown);
            client.Pending = null;
        }
        var lost = new List<string>();
        var twice = new List<string>();
        for (var k = 0; k < keys; k++)
        {
            var key = KeyOf(k);
            var bytes = Encoding.UTF8.GetBytes(key);
            var answer = cluster.Call(cluster.LatestConfiguration.OwnerOfKey(bytes), new ClientRequest { Op = ClientOp.Get, Key = bytes }, stepsMax: 20_000, retryWrongGroup: true);
            var tokens = Tokens(answer.Status == ClientStatus.Ok ? Encoding.UTF8.GetString(answer.Value.Span) : "");
            foreach (var token in _acknowledged.GetValueOrDefault(key) ?? [])
            {
                if (!tokens.Contains(token))
                {
                    lost.Add($"{key}: {token}");
                }
            }
            foreach (var token in tokens.GroupBy(token => token).Where(group => group.Count() > 1 || !_attempted.Contains(group.Key)))
            {
                twice.Add($"{key}: {token.Key} ×{token.Count()}");
            }
        }
        return new MigrationVerdict(lost, twice, _staleReads, _sessionsNotMoved, _acknowledged.Values.Sum(set => set.Count), moves) { Unfinished = unfinished };
    }
}
