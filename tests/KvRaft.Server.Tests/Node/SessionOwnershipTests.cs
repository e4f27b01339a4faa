// Goal: with client certificates on, a session belongs to the identity that registered it: the leader stamps the connection's identity on every write it proposes, another identity's write under that session is answered SessionNotOwned and not applied, and one identity cannot register more than its quota of live sessions. Method: a one-node KvNode over the in-memory twins, driven as clients of two identities would; the log's entries and the state machine checked after each step.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Storage;
using ProtocolKvCommand = KvRaft.Protocol.KvCommand;

namespace KvRaft.Server.Tests.Node;

public sealed class SessionOwnershipTests
{
    private const ulong Alice = 0xA11CE;
    private const ulong Mallory = 0xBAD;

    [Fact]
    public void A_write_under_another_identitys_session_is_answered_SessionNotOwned_and_not_applied()
    {
        var node = new SingleNode();
        var session = node.Register(Alice);

        var stolen = node.Call(Put(session, 1, "k", "mallory"), Mallory);
        Assert.Equal(ClientStatus.SessionNotOwned, stolen.Status);
        Assert.Contains("another client identity", stolen.Message, StringComparison.Ordinal);
        Assert.Null(node.Machine.Get(Bytes("k")));
        Assert.Equal(ClientStatus.SessionNotOwned, node.Call(Put(session, 1, "k", "anonymous")).Status); // identity 0 is another identity too

        Assert.Equal(ClientStatus.Ok, node.Call(Put(session, 1, "k", "alice"), Alice).Status); // the owner's sequence 1 is still free
        Assert.Equal(ClientStatus.SessionNotOwned, node.Call(Put(session, 1, "k", "alice"), Mallory).Status); // no duplicate answer either
        Assert.Equal(Bytes("alice"), node.Machine.Get(Bytes("k")));
    }

    [Fact]
    public void The_leader_stamps_the_connections_identity_on_the_registration_and_the_writes_it_logs()
    {
        var node = new SingleNode();
        var session = node.Register(Alice);
        node.Call(Put(session, 1, "k", "v"), Alice);
        var anonymous = node.Register();
        node.Call(Put(anonymous, 1, "k", "w"));

        var logged = LoggedCommands(node);
        Assert.Equal([Alice, Alice, 0UL, 0UL], logged.Select(command => command.Identity));
        Assert.Equal([ClientOp.RegisterSession, ClientOp.Put, ClientOp.RegisterSession, ClientOp.Put], logged.Select(command => command.Op));
    }

    [Fact]
    public void An_identity_over_its_session_quota_gets_TooManySessions_while_other_identities_still_register()
    {
        var node = new SingleNode(storage: StorageLimits.Default with { SessionsPerIdentityMax = 3 });
        for (var i = 0; i < 3; i++)
        {
            node.Register(Mallory);
        }

        var refused = node.Call(new ClientRequest { Op = ClientOp.RegisterSession }, Mallory);
        Assert.Equal(ClientStatus.TooManySessions, refused.Status);
        Assert.Contains("quota", refused.Message, StringComparison.Ordinal);
        Assert.Equal(3, node.Machine.SessionCount);

        var alices = node.Register(Alice);
        Assert.Equal(ClientStatus.Ok, node.Call(Put(alices, 1, "k", "v"), Alice).Status);
        for (var i = 0; i < 5; i++)
        {
            node.Register(); // unauthenticated clients (identity 0) have no quota
        }

        Assert.Equal(3, node.Machine.SessionsOf((long)Mallory));
    }

    private static List<ProtocolKvCommand> LoggedCommands(SingleNode node)
    {
        var entries = new List<KvRaft.Storage.LogEntry>();
        node.Log.Read(node.Log.FirstIndex, node.Log.LastIndex + 1, long.MaxValue, entries);
        var commands = new List<ProtocolKvCommand>();
        foreach (var entry in entries)
        {
            if (entry.Data.Length == 0 || !KvCommandBatchCodec.Parse(entry.Data, out var batch).IsOk)
            {
                continue;
            }

            batch.CopyTo(commands);
        }
        return commands;
    }

    private static ClientRequest Put(ulong session, ulong sequence, string key, string value) =>
        new() { Op = ClientOp.Put, ClientId = session, Sequence = sequence, Key = Bytes(key), Value = Bytes(value) };

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
