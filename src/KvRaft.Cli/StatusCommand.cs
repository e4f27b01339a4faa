using System.CommandLine;
using KvRaft.Client;
using KvRaft.Protocol;

namespace KvRaft.Cli;

/// <summary>status: one row per endpoint with the node's Raft state.</summary>
internal static class StatusCommand
{
    private static readonly string[] Header = ["ENDPOINT", "NODE", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LOG-FIRST", "LOG-LAST", "SNAPSHOT"];

    /// <summary>Longest wait for one node: an unreachable node should not hold the table up for the whole --timeout.</summary>
    private static readonly TimeSpan NodeTimeoutMax = TimeSpan.FromSeconds(3);

    public static Command Create(ConnectionOptions connection)
    {
        var command = new Command("status", "Shows every node's id, role, term, leader, commit and applied index, log and snapshot indexes (exit code 3 when no node answers)");
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
            return Row(endpoint, status);
        }
        catch (KvException error)
        {
            return [endpoint, "-", "unreachable", "-", "-", "-", "-", "-", "-", error is KvClusterUnavailableException ? "-" : "?"];
        }
    }

    private static string[] Row(string endpoint, NodeStatus status) =>
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
    ];
}
