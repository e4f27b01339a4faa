using System.Net.Sockets;
using System.Security.Authentication;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>
/// Leader probes. A connection whose requests have waited a fifth of the silence timeout without an answer is suspect:
/// its server may be paused or cut off while the others have already elected a new leader. The client then asks every
/// other server for its state (a Status request, answered by any node) and, when one leads in the newest term any of
/// them reports, makes it the target and closes the suspect connection: its requests are retried there at once (same
/// session and sequence: still applied once) instead of after the whole silence timeout. While none leads yet, it asks
/// again <see cref="ProbeRetryDelay"/> later, up to <see cref="ProbeRoundsMax"/> rounds (about one silence check), and
/// stops once the suspect answers. One probe at a time; each answer is awaited at most <see cref="ProbeTimeout"/>.
/// </summary>
internal sealed partial class Cluster
{
    // Request ids of probes: the top bit set, so that they never meet the ids of calls (RequestRunner counts from 1).
    private const ulong ProbeRequestIdBase = 1UL << 63;
    private long _nextProbeId;
    private int _probing; // 1 while a probe runs
    private long _probeMoves;

    /// <summary>How long a probe waits for each server's answer: a fifth of the silence timeout.</summary>
    private TimeSpan ProbeTimeout => _options.ConnectionSilenceTimeout / 5;

    /// <summary>
    /// Rounds of one probe while no server leads yet (an election under way: a paused leader's followers elect another
    /// 300-600 ms after its last heartbeat, so the first rounds often come too early), <see cref="ProbeRetryDelay"/>
    /// apart: the new leader is found within that delay of its election instead of at the next silence check (a tenth
    /// of the silence timeout later: 50 ms on average, 100 ms at worst).
    /// </summary>
    private const int ProbeRoundsMax = 4;

    /// <summary>The pause between two rounds of a probe: a fiftieth of the silence timeout (20 ms by default).</summary>
    private TimeSpan ProbeRetryDelay => _options.ConnectionSilenceTimeout / 50;

    private long _probeRoundsWithoutLeader;

    /// <summary>Rounds of probes that found no leader and wait to ask again (for tests).</summary>
    public long ProbeRoundsWithoutLeader => Interlocked.Read(ref _probeRoundsWithoutLeader);

    /// <summary>Leader probes that moved the target (for tests and tooling).</summary>
    public long ProbeMoves => Interlocked.Read(ref _probeMoves);

    private void OnSuspect(Connection suspect)
    {
        // Another group's leader may be there, not this group's: only the group whose target it is asks around.
        if (GroupId != 0 && suspect.Endpoint != Target)
        {
            return;
        }
        if (Interlocked.Exchange(ref _probing, 1) == 0)
        {
            _ = ProbeAsync(suspect);
        }
    }

    private async Task ProbeAsync(Connection suspect)
    {
        try
        {
            var quietSince = suspect.Receives;
            for (var round = 1; !suspect.IsClosed && suspect.Receives == quietSince; round++) // until it answers again
            {
                var others = Volatile.Read(ref _endpoints).Where(endpoint => endpoint != suspect.Endpoint).ToArray();
                var answers = await Task.WhenAll(others.Select(AskStatusAsync)).ConfigureAwait(false);
                if (ChooseLeader(answers) is { } leader && !suspect.IsClosed)
                {
                    MoveTo(leader);
                    Interlocked.Increment(ref _probeMoves);
                    suspect.Close(new TimeoutException($"{suspect.Endpoint} answered nothing while {leader} leads in a newer term; retrying there"));
                    return;
                }

                if (round == ProbeRoundsMax)
                {
                    return; // the next silence check starts another probe
                }

                var pause = Task.Delay(ProbeRetryDelay, _options.Time);
                Interlocked.Increment(ref _probeRoundsWithoutLeader); // after the timer exists: tests advance the clock then
                await pause.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    /// <summary>
    /// The endpoint of the server that leads in the newest term the answers report, or null: none leads in it (a server
    /// that still leads an older term, cut off perhaps, is not followed).
    /// </summary>
    internal static string? ChooseLeader(IReadOnlyList<(string Endpoint, NodeStatus? Status)> answers)
    {
        long newestTerm = -1;
        string? leader = null;
        foreach (var (endpoint, status) in answers)
        {
            if (status is not { } node || node.Term < newestTerm)
            {
                continue;
            }
            if (node.Term > newestTerm)
            {
                newestTerm = node.Term;
                leader = null;
            }
            if (node.Role == NodeRole.Leader)
            {
                leader = endpoint;
            }
        }
        return leader;
    }

    private async Task<(string Endpoint, NodeStatus? Status)> AskStatusAsync(string endpoint)
    {
        using var deadline = new CancellationTokenSource(ProbeTimeout, _options.Time);
        try
        {
            var connection = await ConnectAsync(endpoint).WaitAsync(deadline.Token).ConfigureAwait(false);
            var requestId = ProbeRequestIdBase | (ulong)Interlocked.Increment(ref _nextProbeId);
            var pending = new PendingRequest(new ClientRequest { Op = ClientOp.Status, RequestId = requestId }, GroupId);
            try
            {
                var response = await connection.Send(pending, deadline.Token).ConfigureAwait(false);
                return (endpoint, response.Status == ClientStatus.Ok ? response.Node : null);
            }
            finally
            {
                pending.Registration.Dispose();
            }
        }
        catch (Exception error) when (error is SocketException or TimeoutException or OperationCanceledException or IOException
            or ConnectionLostException or AuthenticationException or ObjectDisposedException or ArgumentException)
        {
            return (endpoint, null); // no answer: this server names no leader
        }
    }
}
