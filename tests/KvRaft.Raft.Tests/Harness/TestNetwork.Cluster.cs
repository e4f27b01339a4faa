// Goal: the failure and agreement helpers of the MIT 6.5840 lab tester; method: partitions, crashes and bounded tick loops over TestNetwork.
namespace KvRaft.Raft.Tests.Harness;

internal sealed partial class TestNetwork
{
    // ---- Faults ----

    /// <summary>Cuts <paramref name="id"/> off from everyone.</summary>
    public void Isolate(int id) => Group[id] = -id;

    /// <summary>Splits the cluster into the given groups (nodes not named keep their group).</summary>
    public void Partition(params int[][] groups)
    {
        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var id in groups[g])
            {
                Group[id] = g + 1;
            }
        }
    }

    /// <summary>Reconnects everyone and clears every drop rule.</summary>
    public void Heal()
    {
        foreach (var id in Ids)
        {
            Group[id] = 0;
        }

        Cut.Clear();
        DroppedTypes.Clear();
        DropFilter = null;
    }

    /// <summary>Reconnects one node to the main group.</summary>
    public void Connect(int id) => Group[id] = 0;

    /// <summary>True when <paramref name="id"/> is up and in the main group.</summary>
    public bool IsConnected(int id) => IsUp(id) && Group[id] == 0;

    /// <summary>Stops handling Readies of <paramref name="id"/>: its state changes stay unpersisted.</summary>
    public void Stall(int id) => _stalled.Add(id);

    /// <summary>
    /// Drops the node and keeps its storage. With <paramref name="sendEarlyMessages"/>, a stalled node's pending
    /// Ready first sends the Messages the contract lets leave before persisting; nothing is persisted.
    /// </summary>
    public void Crash(int id, bool sendEarlyMessages = false)
    {
        var node = Node(id);
        if (_stalled.Remove(id) && sendEarlyMessages && node.HasReady)
        {
            foreach (var message in node.GetReady().Messages)
            {
                Post(message);
            }
        }
        _nodes[id] = null;
        Applied[id].Clear(); // the state machine is volatile; it is rebuilt from the snapshot and the log
    }

    /// <summary>Starts a fresh RaftNode from the node's storage.</summary>
    public void Restart(int id)
    {
        if (IsUp(id))
        {
            Crash(id);
        }

        _restarts[id]++;
        var storage = Storage[id];
        InstallSnapshotState(id, storage.Snapshot.Index);
        _nodes[id] = new RaftNode(_options.Build(id, storage, NodeRandom(id)));
        Process(id);
    }

    /// <summary>
    /// The service snapshots node <paramref name="id"/> at what it applied (if it applied <paramref name="every"/>
    /// entries since) and drops the log up to it, so a restart resumes from the snapshot.
    /// </summary>
    public SnapshotMetadata? Compact(int id, int every = 1)
    {
        var storage = Storage[id];
        long applied = Applied[id].Count;
        if (!IsUp(id) || applied - storage.Snapshot.Index < every)
        {
            return null;
        }

        var snapshot = storage.CreateSnapshot(applied, Node(id).Config); // the configuration at what it applied
        storage.Compact(snapshot.Index);
        return snapshot;
    }

    // ---- Agreement helpers ----

    /// <summary>The connected leader of the highest term, if any; asserts one leader per term among connected nodes.</summary>
    public int ConnectedLeader()
    {
        var byTerm = new Dictionary<long, int>();
        foreach (var id in Ids.Where(IsConnected))
        {
            var node = Node(id);
            if (node.Role != Role.Leader)
            {
                continue;
            }

            if (byTerm.TryGetValue(node.Term, out var other))
            {
                throw new SafetyViolation($"nodes {other} and {id} both lead term {node.Term} ({Tag})");
            }
            byTerm[node.Term] = id;
        }
        return byTerm.Count == 0 ? 0 : byTerm[byTerm.Keys.Max()];
    }

    /// <summary>Ticks until the connected nodes have a leader; returns it (0 if none came within the bound).</summary>
    public int CheckOneLeader(int maxTicks = 500)
    {
        var leader = 0;
        TickUntil(() => (leader = ConnectedLeader()) != 0, maxTicks);
        return leader;
    }

    /// <summary>The term all connected nodes agree on, or -1.</summary>
    public long AgreedTerm()
    {
        var terms = Ids.Where(IsConnected).Select(id => Node(id).Term).Distinct().ToArray();
        return terms.Length == 1 ? terms[0] : -1;
    }

    /// <summary>How many live nodes applied <paramref name="index"/>, and the value there (asserting they agree).</summary>
    public (int Count, int Value) NCommitted(long index)
    {
        int count = 0, value = int.MinValue;
        foreach (var id in Ids.Where(IsUp))
        {
            var applied = Applied[id];
            if (applied.Count < index)
            {
                continue;
            }

            var v = Data.Value(applied[(int)index - 1]);
            if (count > 0 && v != value)
            {
                throw new SafetyViolation($"index {index}: {value} vs {v} on node {id} ({Tag})");
            }

            value = v;
            count++;
        }
        return (count, value);
    }

    /// <summary>Proposes one value on <paramref name="id"/> and handles the resulting Ready.</summary>
    public ProposeStatus Propose(int id, int value, out long index, int size = 4)
    {
        ReadOnlyMemory<byte>[] batch = { Data.Payload(value, size) };
        var status = Node(id).Propose(batch, out index);
        Process(id);
        return status;
    }

    /// <summary>
    /// The lab's one(): proposes <paramref name="value"/> to whichever connected node leads, until
    /// <paramref name="expected"/> live nodes applied it. Returns its index, or throws with the seed.
    /// </summary>
    public long One(int value, int expected, bool retry = true, int attempts = 20)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var leader = CheckOneLeader(200);
            if (leader == 0)
            {
                continue;
            }

            if (Propose(leader, value, out var index) != ProposeStatus.Accepted)
            {
                Tick();
                continue;
            }
            Deliver();
            for (var t = 0; t < 100; t++)
            {
                (var count, var got) = NCommitted(index);
                if (count >= expected && got == value)
                {
                    return index;
                }

                if (count > 0 && got != value && !retry)
                {
                    break;
                }

                Tick();
            }
            if (!retry)
            {
                break;
            }
        }
        throw new SafetyViolation($"one({value}) failed to reach agreement on {expected} nodes ({Tag})");
    }

    /// <summary>Asserts that every live node's applied sequence is a prefix of the longest one.</summary>
    public void CheckAppliedPrefixes()
    {
        var longest = Ids.Where(IsUp).Select(id => Applied[id]).MaxBy(list => list.Count) ?? new();
        foreach (var id in Ids.Where(IsUp))
        {
            var applied = Applied[id];
            for (var i = 0; i < applied.Count; i++)
            {
                if (!Data.SameEntry(applied[i], longest[i]))
                {
                    throw new SafetyViolation($"node {id} diverges at {i + 1} ({Tag})");
                }
            }
        }
    }

    /// <summary>Messages of <paramref name="type"/> sent to <paramref name="to"/> (0: anyone) since <paramref name="from"/> in <see cref="Sent"/>.</summary>
    public IEnumerable<Message> SentSince(int from, MessageType type, int to = 0) =>
        Sent.Skip(from).Where(m => m.Type == type && (to == 0 || m.To == to));
}
