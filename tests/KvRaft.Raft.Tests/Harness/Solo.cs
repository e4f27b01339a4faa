// Goal: drive one RaftNode by hand for rule-level tests; method: seed its MemoryStorage, Step crafted messages, drain its Readies.
namespace KvRaft.Raft.Tests.Harness;

/// <summary>One node and its storage; the test plays every peer by crafting messages.</summary>
internal sealed class Solo
{
    public Solo(int id, int[] voters, IReadOnlyList<Entry>? log = null, HardState? hardState = null, NodeOptions? options = null, ulong seed = 1)
        : this(id, new ConfigState(voters), log, hardState, options, seed) { }

    public Solo(int id, ConfigState config, IReadOnlyList<Entry>? log = null, HardState? hardState = null, NodeOptions? options = null, ulong seed = 1)
    {
        Storage = new MemoryStorage(config);
        if (log is not null)
        {
            Storage.Append(log);
        }

        if (hardState is { } state)
        {
            Storage.SetHardState(state);
        }

        Node = new RaftNode((options ?? new NodeOptions()).Build(id, Storage, new Prng(seed)));
    }

    public MemoryStorage Storage { get; }
    public RaftNode Node { get; }
    public List<Entry> Applied { get; } = new();
    public List<ReadState> Reads { get; } = new();
    public List<long> DroppedReads { get; } = new();
    public List<ConfigState> Configs { get; } = new(); // each Ready's Config, when it had one

    /// <summary>Handles every pending Ready per the contract; returns the messages sent, early ones first in each Ready.</summary>
    public List<Message> Drain()
    {
        var sent = new List<Message>();
        while (Node.HasReady)
        {
            var ready = Node.GetReady();
            foreach (var message in ready.Messages)
            {
                sent.Add(TestNetwork.Owned(message));
            }

            if (ready.Snapshot is { } snapshot)
            {
                Storage.ApplySnapshot(snapshot);
            }

            Storage.Append(ready.Entries);
            if (ready.HardStateChanged)
            {
                Storage.SetHardState(ready.HardState);
            }

            foreach (var message in ready.MessagesAfterPersist)
            {
                sent.Add(TestNetwork.Owned(message));
            }

            Applied.AddRange(ready.CommittedEntries);
            Reads.AddRange(ready.ReadStates);
            DroppedReads.AddRange(ready.DroppedReads);
            if (ready.Config is { } config)
            {
                Configs.Add(config);
            }

            Node.Advance();
        }
        return sent;
    }

    /// <summary>Steps one message and drains.</summary>
    public List<Message> Step(Message message)
    {
        message.To = Node.Id;
        Node.Step(message);
        return Drain();
    }

    /// <summary>Makes this node leader in term Term+1 with votes from <paramref name="voters"/> (pre-vote must be off).</summary>
    public List<Message> BecomeLeader(params int[] voters)
    {
        Node.Campaign();
        Drain();
        var sent = new List<Message>();
        foreach (var voter in voters)
        {
            sent.AddRange(Step(new Message { Type = MessageType.VoteResponse, From = voter, Term = Node.Term }));
        }
        Invariant.True(Node.Role == Role.Leader, Node.Role);
        return sent;
    }

    /// <summary>Acknowledges an Append from <paramref name="from"/> up to <paramref name="index"/>.</summary>
    public List<Message> Ack(int from, long index) =>
        Step(new Message { Type = MessageType.AppendResponse, From = from, Term = Node.Term, Index = index });

    public static Message Append(int from, long term, long prevIndex, long prevTerm, long commit, params Entry[] entries) =>
        new() { Type = MessageType.Append, From = from, Term = term, Index = prevIndex, LogTerm = prevTerm, Commit = commit, Entries = entries };

    public static Message VoteRequest(int from, long term, long lastIndex, long lastTerm, bool preVote = false) =>
        new() { Type = preVote ? MessageType.PreVote : MessageType.Vote, From = from, Term = term, Index = lastIndex, LogTerm = lastTerm };
}
