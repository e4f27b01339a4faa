// Goal: the node never proposes an entry the log would refuse, and sizes are answered, never crashed on: writes that fill a proposal to the byte share one entry, one byte more starts another; a maximal compare-and-set fits the smallest proposal bound allowed; an Append growing a value past ValueBytesMax is answered TooLarge and the node goes on; limits that could not hold a maximal request are refused when the node is built. Method: a single-node KvNode (memory log and state machine, no sockets) fed client requests turn by turn; the log's entries and the answers are inspected.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

public sealed class ProposalSizeTests
{
    private const int PutOverheadBytes = KvCommandCodec.FixedBytes + 2 + 1 + 4; // a Put with a 1-byte key: fixed part, key length, key, value length

    [Fact]
    public void Writes_filling_a_proposal_to_the_byte_share_one_entry_of_exactly_ProposalBytesMax()
    {
        var node = new OneNode(new ServerLimits());
        var limit = new ServerLimits().ProposalBytesMax;
        var values = ValuesFilling(limit);
        var entries = node.Turn(values.Select(Put).ToArray());
        Assert.Equal([limit], entries);
        Assert.Equal(values.Length, node.TakeAnswers().Count(status => status == ClientStatus.Ok));
    }

    [Fact]
    public void One_byte_more_than_a_proposal_holds_starts_a_second_entry_and_no_entry_exceeds_the_bound()
    {
        var node = new OneNode(new ServerLimits());
        var limit = new ServerLimits().ProposalBytesMax;
        var values = ValuesFilling(limit);
        values[^1]++;
        var entries = node.Turn(values.Select(Put).ToArray());
        Assert.Equal(2, entries.Count);
        Assert.All(entries, bytes => Assert.True(bytes <= limit, $"{bytes} > {limit}"));
        Assert.Equal(values.Length, node.TakeAnswers().Count(status => status == ClientStatus.Ok));
    }

    [Fact]
    public void A_maximal_compare_and_set_fits_the_smallest_allowed_proposal_bound_alone_and_swaps()
    {
        // A client with a certificate: the leader adds its 8-byte identity to every command, the largest a command gets.
        var node = new OneNode(new ServerLimits { ProposalBytesMax = SizeLimits.ProposalBytesMin }, identity: 0xCE27);
        var key = new byte[ProtocolLimits.KeyBytesMax];
        byte[] first = Filled(ProtocolLimits.ValueBytesMax, 1), second = Filled(ProtocolLimits.ValueBytesMax, 2);
        node.Turn(new ClientRequest { Op = ClientOp.Put, Key = key, Value = first });
        var entries = node.Turn(
            new ClientRequest { Op = ClientOp.Put, Key = "small"u8.ToArray(), Value = "v"u8.ToArray() },
            new ClientRequest { Op = ClientOp.CompareAndSet, Key = key, Expected = first, Value = second });
        Assert.Equal(2, entries.Count); // the small put could not share the maximal CAS's proposal
        Assert.Equal(SizeLimits.ProposalBytesMin, entries[1]);
        Assert.Equal([ClientStatus.Ok, ClientStatus.Ok, ClientStatus.Ok], node.TakeAnswers());
        Assert.True(node.LastSwapped);
    }

    [Fact]
    public void An_append_growing_a_value_past_ValueBytesMax_is_answered_too_large_and_the_node_goes_on()
    {
        var node = new OneNode(new ServerLimits());
        node.Turn(new ClientRequest { Op = ClientOp.Put, Key = "k"u8.ToArray(), Value = new byte[ProtocolLimits.ValueBytesMax] });
        node.Turn(new ClientRequest { Op = ClientOp.Append, Key = "k"u8.ToArray(), Value = "x"u8.ToArray() });
        node.Turn(new ClientRequest { Op = ClientOp.Put, Key = "k2"u8.ToArray(), Value = "v"u8.ToArray() });
        Assert.Equal([ClientStatus.Ok, ClientStatus.TooLarge, ClientStatus.Ok], node.TakeAnswers());
        Assert.Contains("ValueBytesMax", node.LastMessages.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_that_cannot_hold_a_maximal_request_or_exceed_one_entry_are_refused_when_the_node_is_built()
    {
        Assert.Throws<ArgumentException>(() => new OneNode(new ServerLimits { ProposalBytesMax = SizeLimits.ProposalBytesMin - 1 }));
        Assert.Throws<ArgumentException>(() => new OneNode(new ServerLimits { ProposalBytesMax = ProtocolLimits.CommandBatchBytesMax + 1 }));
        Assert.Throws<ArgumentException>(() => new OneNode(new ServerLimits { WritesPerProposalMax = ProtocolLimits.CommandsPerBatchMax + 1 }));
        Assert.Throws<ArgumentException>(() => new OneNode(new ServerLimits { AppendBytesMax = ProtocolLimits.FrameBytesMax }));
    }

    [Fact]
    public void Storage_limits_are_derived_from_the_protocol_and_the_former_defaults_are_refused()
    {
        SizeLimits.Check(SizeLimits.Storage(StorageLimits.Default));
        var error = Assert.Throws<ArgumentException>(() => SizeLimits.Check(StorageLimits.Default with { EntryMaxBytes = 1 << 20 }));
        Assert.Contains("EntryMaxBytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SizeLimits.Check(SizeLimits.Storage(StorageLimits.Default) with { ValueMaxBytes = ProtocolLimits.ValueBytesMax + 1 }));
        Assert.Throws<ArgumentException>(() => SizeLimits.Check(SizeLimits.Storage(StorageLimits.Default) with { LogPageBits = 21 }));
    }

    /// <summary>Value sizes of Puts (1-byte keys) whose batch is exactly <paramref name="limit"/> bytes: maximal values, then one smaller.</summary>
    private static int[] ValuesFilling(int limit)
    {
        var values = new List<int>();
        var left = limit - KvCommandBatchCodec.HeaderBytes;
        while (left > PutOverheadBytes + ProtocolLimits.ValueBytesMax)
        {
            values.Add(ProtocolLimits.ValueBytesMax);
            left -= PutOverheadBytes + ProtocolLimits.ValueBytesMax;
        }
        values.Add(left - PutOverheadBytes);
        Assert.True(values.Count >= 2 && values[^1] < ProtocolLimits.ValueBytesMax);
        return [.. values];
    }

    private static ClientRequest Put(int valueBytes, int index) =>
        new() { Op = ClientOp.Put, Key = new[] { (byte)index }, Value = new byte[valueBytes] };

    private static byte[] Filled(int bytes, int seed)
    {
        var value = new byte[bytes];
        new Random(seed).NextBytes(value);
        return value;
    }

    /// <summary>A leader of a one-node cluster with one session; each turn's new log entries are reported by size.</summary>
    private sealed class OneNode : IClientOutbox
    {
        private readonly MemoryRaftLogStore _log = new();
        private readonly KvNode _node;
        private readonly List<ClientStatus> _answers = [];
        private readonly ulong _identity;
        private ulong _clientId, _sequence;

        public OneNode(ServerLimits limits, ulong identity = 0)
        {
            _identity = identity;
            _node = new KvNode(new KvNodeOptions
            {
                Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
                Voters = [1],
                Seed = 1,
                Limits = limits with { SnapshotAfterLogBytes = long.MaxValue },
            }, _log, new MemoryKvStateMachine(SizeLimits.Storage(StorageLimits.Default)), new NoPeers(), this, NullLogger.Instance);
            for (var i = 0; i < 100 && _node.RaftStatus.Role != Role.Leader; i++)
            {
                Step();
            }

            Assert.Equal(Role.Leader, _node.RaftStatus.Role);
            _node.OnClientRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.RegisterSession }, _identity);
            Step();
            Assert.NotEqual(0UL, _clientId);
            _answers.Clear();
        }

        public List<string> LastMessages { get; } = [];

        public bool LastSwapped { get; private set; }

        /// <summary>Feeds the requests in one turn (each under the session, next sequence); returns the sizes of the entries it appended.</summary>
        public IReadOnlyList<int> Turn(params ClientRequest[] requests)
        {
            var last = _log.LastIndex;
            foreach (var request in requests)
            {
                _node.OnClientRequest(1, request with { RequestId = ++_sequence, ClientId = _clientId, Sequence = _sequence }, _identity);
            }
            Step();
            var entries = new List<LogEntry>();
            _log.Read(last + 1, _log.LastIndex + 1, long.MaxValue, entries);
            return entries.Select(entry => entry.Data.Length).ToList();
        }

        public List<ClientStatus> TakeAnswers()
        {
            List<ClientStatus> answers = [.. _answers];
            _answers.Clear();
            return answers;
        }

        public void Reply(long connectionId, in ClientResponse response)
        {
            if (response.Op == ClientOp.RegisterSession)
            {
                _clientId = response.ClientId;
                return;
            }
            _answers.Add(response.Status);
            if (response.Message is { } message)
            {
                LastMessages.Add(message);
            }

            if (response.Op == ClientOp.CompareAndSet)
            {
                LastSwapped = response.Swapped;
            }
        }

        public void Flush() { }

        private void Step() => SingleNode.Turn(_node, _log);
    }
}
