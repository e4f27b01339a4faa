using System.CommandLine;
using System.Globalization;
using KvRaft.Protocol;

namespace KvRaft.Cli;

/// <summary>member list | add-learner ID PEER-ADDR CLIENT-ADDR | promote ID | remove ID: the cluster's membership.</summary>
internal static class MemberCommand
{
    private static readonly string[] Header = ["NODE", "ROLE", "MATCH", "PEER-ADDRESS", "CLIENT-ADDRESS"];

    public static Command Create(ConnectionOptions connection)
    {
        var list = new Command("list", "Lists the members as the leader sees them: role (voter, learner, outgoing voter while joint), match index, addresses");
        list.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var listing = await client.MemberListAsync(timeout: connection.CallTimeout(parse), cancellationToken: cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"leader {listing.NodeId}, last index {listing.LastIndex}{(listing.Joint ? ", joint change under way" : "")}");
            TextTable.Write(Console.Out, Header, listing.Members.Select(member => Row(member, listing.Joint)).ToList());
            return ExitCodes.Ok;
        }));

        var id = NodeId();
        var peer = new Argument<string>("PEER-ADDR") { Description = "The new node's peer address, host:port" };
        var clientAddress = new Argument<string>("CLIENT-ADDR") { Description = "The new node's client address, host:port" };
        var addLearner = new Command("add-learner", "Adds a node as a learner (receives the log, never votes); returns once the leader applied it") { id, peer, clientAddress };
        addLearner.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            await client.AddLearnerAsync(parse.GetValue(id), parse.GetValue(peer)!, parse.GetValue(clientAddress)!, connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"node {parse.GetValue(id)} is a learner");
            return ExitCodes.Ok;
        }));

        var promoteId = NodeId();
        var promote = new Command("promote", "Makes a learner a voter; returns once the leader applied it") { promoteId };
        promote.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            await client.PromoteLearnerAsync(parse.GetValue(promoteId), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"node {parse.GetValue(promoteId)} is a voter");
            return ExitCodes.Ok;
        }));

        var removeId = NodeId();
        var remove = new Command("remove", "Takes a member (voter or learner) out of the configuration; returns once the leader applied it") { removeId };
        remove.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            await client.RemoveMemberAsync(parse.GetValue(removeId), connection.CallTimeout(parse), cancellation).ConfigureAwait(false);
            Console.Out.WriteLine($"node {parse.GetValue(removeId)} is no member");
            return ExitCodes.Ok;
        }));
        return new Command("member", "Membership commands") { list, addLearner, promote, remove };
    }

    private static Argument<int> NodeId() => PositiveId("ID", "The node id (positive)", "ID must be a node id (positive)");

    /// <summary>An argument that must be a positive id (a node's, a group's).</summary>
    public static Argument<int> PositiveId(string name, string description, string error)
    {
        var id = new Argument<int>(name) { Description = description };
        id.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError(error);
            }
        });
        return id;
    }

    private static string[] Row(MemberInfo member, bool joint) =>
    [
        member.NodeId.ToString(CultureInfo.InvariantCulture),
        RoleText(member.Roles, joint),
        member.MatchIndex < 0 ? "-" : member.MatchIndex.ToString(CultureInfo.InvariantCulture),
        member.PeerAddress ?? "?",
        member.ClientAddress ?? "?",
    ];

    /// <summary>"voter", "learner", "voter(outgoing)" (leaving while joint), "voter(incoming)" (joining while joint).</summary>
    public static string RoleText(MemberRoles roles, bool joint) => roles switch
    {
        MemberRoles.Voter when joint => "voter(incoming)",
        MemberRoles.OutgoingVoter => "voter(outgoing)",
        MemberRoles.Learner => "learner",
        _ => "voter",
    };

    /// <summary>The voters, learners and joint state of a listing, for the status table.</summary>
    public static (string Voters, string Learners, string Joint) Summary(MemberListing listing)
    {
        string Ids(MemberRoles role) => string.Join(",", listing.Members.Where(m => (m.Roles & role) != 0).Select(m => m.NodeId));
        var outgoing = Ids(MemberRoles.OutgoingVoter);
        return (Ids(MemberRoles.Voter), Ids(MemberRoles.Learner) is { Length: > 0 } learners ? learners : "-", listing.Joint ? "[" + outgoing + "]" : "no");
    }
}
