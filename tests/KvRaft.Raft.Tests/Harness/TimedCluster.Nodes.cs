// Goal: the node side of TimedCluster: ticks on each node's own phase, one event at a time, a Ready that persists
// holds its node until the fsync ends (then sends what waited for it and advances), messages in order per link.
// Method: events deferred while their node is busy; entries copied before they leave the core's arena.
namespace KvRaft.Raft.Tests.Harness;

internal sealed partial class TimedCluster
{
    /// <summary>One node: its core, storage, and until when a persist holds it.</summary>
    private sealed class TimedNode(int id, RaftNode raft, MemoryStorage storage)
    {
        public int Id { get; } = id;
        public RaftNode Raft { get; } = raft;
        public MemoryStorage Storage { get; } = storage;
        public bool Up { get; set; } = true;
        public long BusyUntil { get; set; }
        public Role Role { get; set; } = Role.Follower;
        public long NoOpIndex { get; set; } // the index of the no-op of this node's latest term as leader
        public Queue<Action<RaftNode>> Inbox { get; } = new(); // events that arrived while a persist held the node
    }

    private void OnTick(int id)
    {
        OnEvent(id, node => node.Tick());
        if (_nodes[id].Up)
        {
            At(Now + TickMicroseconds, () => OnTick(id)); // the tick timer keeps its phase even while the loop is busy
        }
    }

    private void OnPropose()
    {
        var leader = Leader();
        if (leader != 0)
        {
            OnEvent(leader, node =>
            {
                if (node.Role == Role.Leader)
                {
                    ReadOnlyMemory<byte> payload = new byte[100];
                    node.Propose(new ReadOnlySpan<ReadOnlyMemory<byte>>(in payload), out _);
                }
            });
        }

        At(Now + ProposalEveryMicroseconds, OnPropose);
    }

    /// <summary>
    /// Queues <paramref name="action"/> for node <paramref name="id"/>: a free node runs everything queued in one turn
    /// and then its Readies (as the server's event loop does); a node held by a persist runs them when it ends.
    /// </summary>
    private void OnEvent(int id, Action<RaftNode> action)
    {
        var node = _nodes[id];
        if (!node.Up)
        {
            return;
        }

        node.Inbox.Enqueue(action);
        if (node.BusyUntil <= Now)
        {
            RunTurn(node);
        }
    }

    private void RunTurn(TimedNode node)
    {
        while (node.Up && node.BusyUntil <= Now && node.Inbox.Count > 0)
        {
            while (node.Inbox.TryDequeue(out var action))
            {
                action(node.Raft);
            }

            ProcessReady(node);
        }
    }

    private void ProcessReady(TimedNode node)
    {
        while (node.Up && node.BusyUntil <= Now && node.Raft.HasReady)
        {
            var ready = node.Raft.GetReady();
            NoteRole(node);
            foreach (var message in ready.Messages)
            {
                Send(message);
            }

            var persists = ready.Entries.Count > 0 || ready.HardStateChanged;
            node.Storage.Append(ready.Entries);
            if (ready.HardStateChanged)
            {
                node.Storage.SetHardState(ready.HardState);
            }

            var afterPersist = ready.MessagesAfterPersist.Select(TestNetwork.Owned).ToList();
            if (!persists)
            {
                afterPersist.ForEach(Send);
                node.Raft.Advance();
                continue;
            }

            node.BusyUntil = Now + PersistDelay(Random);
            At(node.BusyUntil, () =>
            {
                if (!node.Up)
                {
                    return;
                }

                afterPersist.ForEach(Send);
                node.Raft.Advance();
                ProcessReady(node);
                RunTurn(node);
            });
        }
    }

    private void NoteRole(TimedNode node)
    {
        if (node.Raft.Role == node.Role)
        {
            return;
        }

        node.Role = node.Raft.Role;
        if (node.Role == Role.PreCandidate)
        {
            NoteCampaign();
        }

        if (node.Role == Role.Leader)
        {
            node.NoOpIndex = node.Raft.LastIndex; // the no-op is the last entry when the node becomes leader
        }

        Note($"n{node.Id} {node.Role} in term {node.Raft.Term} (last {node.Raft.LastIndex}, log term {node.Storage.HardState.Term})");
    }

    private void Send(Message message)
    {
        message = TestNetwork.Owned(message);
        if (!_nodes[message.From].Up)
        {
            return;
        }

        var link = (message.From, message.To);
        var at = Math.Max(Now + Latency(Random), _linkFree.GetValueOrDefault(link));
        _linkFree[link] = at;
        if (TraceAll || message.Type is not (MessageType.Append or MessageType.AppendResponse or MessageType.Heartbeat or MessageType.HeartbeatResponse))
        {
            Note($"n{message.From} -> n{message.To} {message.Type} term {message.Term}{(message.Reject ? " reject" : "")} (index {message.Index}, log term {message.LogTerm}, commit {message.Commit}, {message.Entries.Length} entries) arrives at {at / 1000.0:F3}");
        }

        At(at, () => OnEvent(message.To, raft => raft.Step(message)));
    }
}
