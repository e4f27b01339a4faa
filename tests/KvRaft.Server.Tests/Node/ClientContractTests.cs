// Goal: the node keeps the client contract of docs/wire-format.md ("Sessions and sequences"): a write is acknowledged only if applied (or a true duplicate of one that was), a reused sequence must repeat its request, client id 0 and empty keys are refused, session ids cannot be derived from the log, and a flood of registrations cannot evict a live session. Method: a one-node KvNode over the in-memory twins, driven as a client would, its answers and its state machine checked after each step.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Node;

public sealed class ClientContractTests
{
    [Fact]
    public void A_write_with_sequence_zero_on_a_fresh_session_is_refused_not_acknowledged_unapplied()
    {
        var node = new SingleNode();
        var session = node.Register();
        var put = node.Call(Put(session, 0, "k", "v"));
        Assert.Equal(ClientStatus.InvalidArgument, put.Status);
        Assert.Null(node.Machine.Get(Bytes("k")));
        Assert.Equal(ClientStatus.Ok, node.Call(Put(session, 1, "k", "v")).Status); // sequences start at 1
        Assert.Equal(Bytes("v"), node.Machine.Get(Bytes("k")));
    }

    [Fact]
    public void The_last_sequence_reused_for_another_request_is_refused_and_a_true_retry_gets_the_first_answer()
    {
        var node = new SingleNode();
        var session = node.Register();
        Assert.Equal(ClientStatus.Ok, node.Call(Put(session, 1, "k", "v1")).Status);

        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Put(session, 1, "other", "v1")).Status); // another key
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Put(session, 1, "k", "v2")).Status); // another value
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Put(session, 1, "k", "v1") with { Op = ClientOp.Append }).Status); // another op
        Assert.Null(node.Machine.Get(Bytes("other")));
        Assert.Equal(Bytes("v1"), node.Machine.Get(Bytes("k")));

        Assert.Equal(ClientStatus.Ok, node.Call(Put(session, 1, "k", "v1")).Status); // the same request: its answer again
        Assert.Equal(ClientStatus.NotFound, node.Call(Delete(session, 2, "absent")).Status);
        Assert.Equal(ClientStatus.NotFound, node.Call(Delete(session, 2, "absent")).Status); // a duplicate repeats NotFound
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Put(session, 1, "k", "v1")).Status); // older than the last
    }

    [Fact]
    public void Empty_keys_are_refused_as_invalid_for_reads_and_writes()
    {
        var node = new SingleNode();
        var session = node.Register();
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Put(session, 1, "", "v")).Status);
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(Delete(session, 2, "")).Status);
        Assert.Equal(ClientStatus.InvalidArgument, node.Call(new ClientRequest { Op = ClientOp.Get, Key = default }).Status);
        Assert.Null(node.Machine.Get(default));
    }

    [Fact]
    public void Client_id_zero_is_refused_rather_than_written_without_deduplication()
    {
        var node = new SingleNode();
        var first = node.Call(new ClientRequest { Op = ClientOp.Append, ClientId = 0, Sequence = 1, Key = Bytes("k"), Value = Bytes("x") });
        node.Call(new ClientRequest { Op = ClientOp.Append, ClientId = 0, Sequence = 1, Key = Bytes("k"), Value = Bytes("x") }); // a retry
        Assert.Equal(ClientStatus.InvalidArgument, first.Status);
        Assert.Null(node.Machine.Get(Bytes("k"))); // without a session a retry would have applied twice
    }

    [Fact]
    public void Session_ids_are_not_derived_from_the_log_position_of_their_registration()
    {
        var node = new SingleNode();
        var ids = new List<ulong>();
        for (var i = 0; i < 16; i++)
        {
            ids.Add(node.Register());
        }

        for (var i = 0; i < 48; i++)
        {
            node.Send(new ClientRequest { Op = ClientOp.RegisterSession });
        }

        node.Turn(); // 48 registrations in one entry: positions 0 to 47
        var lastIndex = node.Log.LastIndex;
        // The old scheme gave index × 4,096 + position; a random 64-bit id is below (last index + 1) × 4,096 with odds 2^-45.
        Assert.All(ids, id => Assert.True(id >= (ulong)(lastIndex + 1) * 4096, $"session {id} could be log index {id / 4096}, position {id % 4096}"));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(64, node.Machine.SessionCount);
    }

    [Fact]
    public void A_flood_of_registrations_does_not_evict_a_session_in_use()
    {
        // A table of 64 sessions; the leader proposes 8 registrations at once and 1 more per tick.
        var node = new SingleNode(new ServerLimits { SessionRegistrationBurst = 8, SessionRegistrationsPerTick = 1 },
            StorageLimits.Default with { SessionMaxCount = 64 });
        var live = node.Register();
        var refused = 0;
        for (var tick = 1; tick <= 2_000; tick++)
        {
            var flood = new List<ulong>();
            for (var i = 0; i < 100; i++)
            {
                flood.Add(node.Send(new ClientRequest { Op = ClientOp.RegisterSession }));
            }

            var write = tick % 16 == 0 ? node.Send(Put(live, (ulong)tick, "live", $"v{tick}")) : 0;
            node.Turn();
            refused += flood.Count(id => node.Answer(id).Status == ClientStatus.Retryable);
            if (write != 0)
            {
                Assert.Equal(ClientStatus.Ok, node.Answer(write).Status);
            }
        }
        Assert.True(refused > 190_000, $"{refused} registrations refused");
        Assert.Equal(Bytes("v2000"), node.Machine.Get(Bytes("live")));
        Assert.Equal(64, node.Machine.SessionCount);
    }

    private static ClientRequest Put(ulong session, ulong sequence, string key, string value) =>
        new() { Op = ClientOp.Put, ClientId = session, Sequence = sequence, Key = Bytes(key), Value = Bytes(value) };

    private static ClientRequest Delete(ulong session, ulong sequence, string key) =>
        new() { Op = ClientOp.Delete, ClientId = session, Sequence = sequence, Key = Bytes(key) };

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
