using System.CommandLine;
using System.Globalization;
using KvRaft.Client;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Cli;

/// <summary>
/// shard list | shard move SHARD GROUP, and group list | group join GROUP | group leave GROUP: a sharded cluster's
/// configurations, through its controller (group 0; docs/cli.md, "Sharding").
/// </summary>
internal static class ShardCommand
{
    private static readonly string[] ShardHeader = ["SHARD", "GROUP"];
    private static readonly string[] GroupHeader = ["GROUP", "SHARDS", "MEMBERS"];

    public static Command CreateShard(ConnectionOptions connection)
    {
        var number = new Option<long>("--configuration") { Description = "The configuration to show (default -1: the latest)", DefaultValueFactory = _ => -1 };
        var list = new Command("list", "Shows the controller's configuration: its number and the group owning each shard") { number };
        list.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var configuration = await client.QueryShardsAsync(parse.GetValue(number), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"configuration {configuration.Number}: {configuration.ShardCount} shards, {configuration.Groups.Count} groups");
            TextTable.Write(Console.Out, ShardHeader, [.. configuration.Owners.Select((owner, shard) => new[] { Text(shard), owner == 0 ? "-" : Text(owner) })]);
            return ExitCodes.Ok;
        }));

        var shard = new Argument<int>("SHARD") { Description = "The shard (0 to the shard count - 1)" };
        var group = GroupId();
        var move = new Command("move", "Gives one shard to a group that has joined; returns once the controller applied it") { shard, group };
        move.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var applied = await client.MoveShardAsync(parse.GetValue(shard), parse.GetValue(group), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"shard {parse.GetValue(shard)} belongs to group {parse.GetValue(group)} in configuration {applied}");
            return ExitCodes.Ok;
        }));
        return new Command("shard", "Sharded clusters: the shards and their groups") { list, move };
    }

    public static Command CreateGroup(ConnectionOptions connection)
    {
        var list = new Command("list", "Shows the groups of the controller's latest configuration: their shard counts and members");
        list.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var configuration = await client.QueryShardsAsync(timeout: connection.CallTimeout(parse), cancellationToken: cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"configuration {configuration.Number}: {configuration.Groups.Count} groups");
            TextTable.Write(Console.Out, GroupHeader, [.. configuration.Groups.Select(g => GroupRow(configuration, g))]);
            return ExitCodes.Ok;
        }));

        var join = GroupChange(connection, "join", "A group the processes host (one that left) joins; the shards are rebalanced", "joined",
            (client, group, timeout, cancellation) => client.JoinGroupAsync(group, timeout, cancellation));
        var leave = GroupChange(connection, "leave", "A group leaves (not the last one); its shards go to the other groups", "left",
            (client, group, timeout, cancellation) => client.LeaveGroupAsync(group, timeout, cancellation));
        return new Command("group", "Sharded clusters: the data groups of the configuration") { list, join, leave };
    }

    private static Command GroupChange(ConnectionOptions connection, string name, string description, string done, Func<KvClient, int, TimeSpan, CancellationToken, Task<long>> change)
    {
        var group = GroupId();
        var command = new Command(name, description) { group };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var applied = await change(client, parse.GetValue(group), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"group {parse.GetValue(group)} {done} in configuration {applied}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Argument<int> GroupId() => MemberCommand.PositiveId("GROUP", "The data group id (positive)", "GROUP must be a data group id (positive)");

    private static string[] GroupRow(ShardConfiguration configuration, ShardGroup group) =>
    [
        Text(group.GroupId),
        Text(configuration.ShardsOf(group.GroupId).Count),
        string.Join(",", group.Members.Select(member => $"{member.NodeId}={member.ClientAddress}")),
    ];

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
