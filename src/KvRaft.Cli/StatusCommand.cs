using System.CommandLine;
using KvRaft.Client;
using KvRaft.Protocol;

namespace KvRaft.Cli;

/// <summary>status: one row per endpoint with the node's Raft state.</summary>
internal static class StatusCommand
{
    private static readonly string[] Header = ["ENDPOINT", "NODE", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LOG-FIRST", "LOG-LAST", "SNAPSHOT", "VOTERS", "LEARNERS", "JOINT"];

    /// <summary>Longest wait for one node: an unreachable node should not hold the table up for the whole --timeout.</summary>
    private static readonly TimeSpan NodeTimeoutMax = TimeSpan.FromSeconds(3);

    public static Command Create(ConnectionOptions connection)
    {
        var command = new Command("status", "Shows every node's id, role, term, leader, commit and applied index, log and snapshot indexes, and the configuration it has applied: voters, learners, joint state (exit code 3 when no node answers)");
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var timeout = connection.CallTimeout(parse) < NodeTimeoutMax ? connection.CallTimeout(parse) : NodeTimeoutMax;
            var endpoints = connection.EndpointList(parse);
            var rows = await Task.WhenAll(endpoints.Select(endpoint => RowAsync(client, endpoint, timeout, cancellation))).ConfigureAwait(false);
            TextTable.Write(Console.Out, Header, rows);
            return rows.Any(row => row[1] != "-") ? ExitCodes.Ok : ExitCodes.Unavailable;
        }));
        return command;
    }

    private static async Task<string[]> RowAsync(KvClient client, string endpoint, TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            var status = await client.StatusAsync(endpoint, timeout, cancellation).ConfigureAwait(false);
            var members = await MembersAsync(client, endpoint, timeout, cancellation).ConfigureAwait(false);
            return Row(endpoint, status, members);
        }
        catch (KvException error)
        {
            return [endpoint, "-", "unreachable", "-", "-", "-", "-", "-", "-", error is KvClusterUnavailableException ? "-" : "?", "-", "-", "-"];
        }
    }

    /// <summary>The node's own view of the configuration; "?" columns when it does not answer (a server from before the member list).</summary>
    private static async Task<(string Voters, string Learners, string Joint)> MembersAsync(KvClient client, string endpoint, TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            return MemberCommand.Summary(await client.MemberListAsync(endpoint, timeout, cancellation).ConfigureAwait(false));
        }
        catch (KvException)
        {
            return ("?", "?", "?");
        }
    }

    private static string[] Row(string endpoint, NodeStatus status, (string Voters, string Learners, string Joint) members) =>
    [
        endpoint,
        status.NodeId.ToString(),
        status.Role.ToString().ToLowerInvariant(),
        status.Term.ToString(),
        status.LeaderKnown ? status.LeaderId.ToString() : "none",
        status.CommitIndex.ToString(),
        status.AppliedIndex.ToString(),
        status.LogFirstIndex.ToString(),
        status.LogLastIndex.ToString(),
        status.SnapshotIndex.ToString(),
        members.Voters,
        members.Learners,
        members.Joint,
    ];
}
