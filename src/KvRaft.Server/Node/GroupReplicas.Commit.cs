namespace KvRaft.Server.Node;

/// <summary>One commit of the shared log per turn, covering the log writes of every group.</summary>
public sealed partial class GroupReplicas
{
    /// <summary>
    /// Takes the Readies of every group (each group until it has none, or its writes in flight reach its limit). True
    /// when some of them appended to the shared log: the host then starts ONE commit of <see cref="Log"/> and, once it
    /// has ended, calls <see cref="OnCommitDurable"/> once. No group sends what depends on those writes before that.
    /// </summary>
    public bool TryAcceptReadies()
    {
        for (var slot = 0; slot < _nodes.Count; slot++)
        {
            var node = _nodes[slot];
            while (node.TryAcceptReady(out var mustCommit))
            {
                if (mustCommit)
                {
                    _turnCounts ??= RentCounts();
                    _turnCounts[slot]++;
                }
            }
        }
        if (_turnCounts is not { } counts)
        {
            return false;
        }

        _turnCounts = null;
        _commits.Enqueue(counts);
        Statistics.CommitStarted(counts, _groupIds);
        return true;
    }

    /// <summary>
    /// The oldest commit started is durable (a commit makes everything appended before it durable, and commits end in
    /// the order they were started): every group whose writes it covers learns that, in order.
    /// </summary>
    public void OnCommitDurable()
    {
        Invariant.True(_commits.Count > 0, "a shared log commit reported durable with none in flight");
        var counts = _commits.Dequeue();
        for (var slot = 0; slot < counts.Length; slot++)
        {
            for (var write = 0; write < counts[slot]; write++)
            {
                _nodes[slot].OnLogWriteDurable();
            }
        }
        Array.Clear(counts);
        if (counts.Length == _nodes.Count)
        {
            _countsPool.Push(counts);
        }
    }

    private int[] RentCounts() => _countsPool.Count > 0 ? _countsPool.Pop() : new int[_nodes.Count];
}

/// <summary>What the commits of a process's shared log covered, and the peer messages its groups received (one thread writes, any thread reads).</summary>
public sealed class GroupCommitStatistics
{
    private long _commits;
    private long _groupWrites;
    private long _groupsCovered;
    private int _groupsPerCommitMax;
    private readonly long[] _writesOfGroup = new long[Protocol.ProtocolLimits.GroupsMax]; // by group id
    private readonly long[] _peerMessagesOfType = new long[byte.MaxValue + 1]; // by PeerMessageType

    /// <summary>Commits started: device syncs asked for on behalf of the groups.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Group log writes (accepted Readies that appended) those commits covered.</summary>
    public long GroupWrites => Interlocked.Read(ref _groupWrites);

    /// <summary>Sum over the commits of the number of distinct groups each covered.</summary>
    public long GroupsCovered => Interlocked.Read(ref _groupsCovered);

    /// <summary>The most groups one commit covered.</summary>
    public int GroupsPerCommitMax => Volatile.Read(ref _groupsPerCommitMax);

    /// <summary>Group log writes of group <paramref name="groupId"/> the commits covered.</summary>
    public long WritesOfGroup(int groupId) => Interlocked.Read(ref _writesOfGroup[groupId]);

    /// <summary>Peer messages of type <paramref name="type"/> the groups received (every group summed).</summary>
    public long PeerMessagesOfType(Protocol.PeerMessageType type) => Interlocked.Read(ref _peerMessagesOfType[(int)type]);

    internal void PeerMessageReceived(Protocol.PeerMessageType type)
    {
        if ((int)type < _peerMessagesOfType.Length) // the transport parsed it: a known type (the check only bounds the array)
        {
            Interlocked.Increment(ref _peerMessagesOfType[(int)type]);
        }
    }

    internal void CommitStarted(int[] counts, IReadOnlyList<int> groupIds)
    {
        var groups = 0;
        var writes = 0;
        for (var slot = 0; slot < counts.Length; slot++)
        {
            var count = counts[slot];
            writes += count;
            groups += count > 0 ? 1 : 0;
            if (count > 0)
            {
                Interlocked.Add(ref _writesOfGroup[groupIds[slot]], count);
            }
        }
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _groupWrites, writes);
        Interlocked.Add(ref _groupsCovered, groups);
        if (groups > _groupsPerCommitMax)
        {
            Volatile.Write(ref _groupsPerCommitMax, groups);
        }
    }
}
