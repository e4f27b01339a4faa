using System.CommandLine;

namespace KvRaft.Cli;

/// <summary>leader transfer [--to ID]: hands leadership to another node and prints the node that leads afterwards.</summary>
internal static class LeaderCommand
{
    public static Command Create(ConnectionOptions connection)
    {
        var to = new Option<int>("--to")
        {
            Description = "The node to lead next (default: the leader's most caught-up reachable follower)",
            DefaultValueFactory = _ => 0,
        };
        to.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--to must be a node id (positive)");
            }
        });
        var transfer = new Command("transfer", "Hands leadership to another voter and waits until it leads (prints its id)") { to };
        transfer.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var leader = await client.TransferLeadershipAsync(parse.GetValue(to), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"node {leader} leads");
            return ExitCodes.Ok;
        }));
        return new Command("leader", "Leadership commands") { transfer };
    }
}
