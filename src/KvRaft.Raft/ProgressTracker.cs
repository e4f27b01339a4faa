using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>Which per-follower value a quorum is asked about.</summary>
internal enum QuorumField : byte
{
    /// <summary>The match index: the quorum's value is the commit index.</summary>
    Match,
    /// <summary>The send tick of the latest heartbeat acknowledged: the quorum's value starts the lease.</summary>
    HeartbeatAcknowledgedTick,
    /// <summary>The newest read round acknowledged: the quorum's value is the newest confirmed round.</summary>
    ReadRoundAcknowledged,
}

/// <summary>
/// The one place that knows the membership: the configuration in effect, the leader's progress for each member
/// (voters of both halves and learners), votes received, and the quorum arithmetic. Every quorum is joint: while
/// the configuration is joint it needs a majority of the incoming voters and a majority of the outgoing ones
/// (an empty half agrees to everything, as in etcd-io/raft's quorum.JointConfig); learners never count.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Dictionary<int, Progress> _progress = new();
    private readonly Dictionary<int, bool> _votes = new();
    private readonly int _inflightMessagesMax;
    private readonly long _inflightBytesMax;
    private long[] _scratch = [];

    public ProgressTracker(ConfigState config, int inflightMessagesMax, long inflightBytesMax)
    {
        _inflightMessagesMax = inflightMessagesMax;
        _inflightBytesMax = inflightBytesMax;
        Config = config;
        SetConfig(config);
        Reset(1);
    }

    /// <summary>The configuration in effect (lists ascending).</summary>
    public ConfigState Config { get; private set; }

    /// <summary>Voters of either half, ascending: whom a candidate asks.</summary>
    public int[] Voters { get; private set; } = [];

    /// <summary>Voters of either half and learners, ascending: whom a leader replicates to.</summary>
    public int[] Members { get; private set; } = [];

    public bool IsVoter(int id) => Array.BinarySearch(Voters, id) >= 0;

    public bool IsMember(int id) => _progress.ContainsKey(id);

    /// <summary>True when <paramref name="self"/> is the only voter: every quorum is this node alone.</summary>
    public bool IsOnlyVoter(int self) => Voters.Length == 1 && Voters[0] == self;

    public Progress this[int id] => _progress[id];

    public IReadOnlyDictionary<int, Progress> All => _progress;

    private void SetConfig(ConfigState config)
    {
        Invariant.True(config.IsWellFormed(), config);
        Config = config;
        Voters = Union(config.Voters, config.VotersOutgoing);
        Members = Union(Voters, config.Learners);
        var largestHalf = Math.Max(config.Voters.Length, config.VotersOutgoing.Length);
        if (_scratch.Length < largestHalf)
        {
            _scratch = new long[largestHalf];
        }
    }

    private static int[] Union(int[] a, int[] b)
    {
        var set = new SortedSet<int>(a);
        set.UnionWith(b);
        var union = new int[set.Count];
        set.CopyTo(union);
        return union;
    }

    /// <summary>A fresh progress for every member (a new leader's view).</summary>
    public void Reset(long next)
    {
        _progress.Clear();
        foreach (var id in Members)
        {
            _progress[id] = NewProgress(next);
        }
    }

    /// <summary>
    /// Moves to <paramref name="config"/>: members that stay keep their progress, new ones start probing at
    /// <paramref name="next"/> (counted active, so that adding them does not fail the next check-quorum), and the
    /// progress of members that left is dropped.
    /// </summary>
    public void SwitchTo(ConfigState config, long next)
    {
        SetConfig(config);
        foreach (var id in Members)
        {
            if (!_progress.ContainsKey(id))
            {
                _progress[id] = NewProgress(next, recentActive: true);
            }
        }
        List<int>? gone = null;
        foreach (var id in _progress.Keys)
        {
            if (Array.BinarySearch(Members, id) < 0)
            {
                (gone ??= new List<int>()).Add(id);
            }
        }
        if (gone is null)
        {
            return;
        }

        foreach (var id in gone)
        {
            _progress.Remove(id);
            _votes.Remove(id);
        }
    }

    private Progress NewProgress(long next, bool recentActive = false) =>
        new(next, _inflightMessagesMax, _inflightBytesMax) { RecentActive = recentActive };

    /// <summary>The highest index replicated on a (joint) quorum.</summary>
    public long QuorumMatch() => QuorumValue(QuorumField.Match, 0, 0);

    /// <summary>
    /// The largest value that a quorum has reached: in each half, the value a majority of its voters is at or
    /// above; the smaller of the two when joint. <paramref name="self"/>'s value is <paramref name="selfValue"/>
    /// (for <see cref="QuorumField.Match"/> its progress counts instead). No allocation.
    /// </summary>
    public long QuorumValue(QuorumField field, int self, long selfValue)
    {
        var incomingVoters = Config.Voters;
#if PLANTED_BUGS
        if (field == QuorumField.Match && PlantedBugs.Has(PlantedBug.LearnerCountedInQuorum) && Config.Learners.Length > 0)
        {
            incomingVoters = Union(incomingVoters, Config.Learners);
            _scratch = new long[incomingVoters.Length + Config.VotersOutgoing.Length];
        }
#endif
        var incoming = MajorityValue(incomingVoters, field, self, selfValue);
#if PLANTED_BUGS
        if (field == QuorumField.Match && PlantedBugs.Has(PlantedBug.JointCommitByIncomingHalfOnly))
        {
            return incoming;
        }
#endif
        var outgoing = MajorityValue(Config.VotersOutgoing, field, self, selfValue);
        return Math.Min(incoming, outgoing);
    }

    private long MajorityValue(int[] voters, QuorumField field, int self, long selfValue)
    {
        if (voters.Length == 0)
        {
            return long.MaxValue;
        }

        var values = _scratch.AsSpan(0, voters.Length);
        for (var i = 0; i < voters.Length; i++)
        {
            var id = voters[i];
            var progress = _progress[id];
            values[i] = field switch
            {
                QuorumField.Match => progress.Match,
                _ when id == self => selfValue,
                QuorumField.HeartbeatAcknowledgedTick => progress.HeartbeatAcknowledgedTick,
                _ => progress.ReadRoundAcknowledged,
            };
        }
        values.Sort();
        return values[voters.Length - (voters.Length / 2 + 1)];
    }

    /// <summary>Whether a (joint) quorum has been active; clears every flag but <paramref name="self"/>'s.</summary>
    public bool QuorumActiveThenClear(int self)
    {
        var active = MajorityActive(Config.Voters, self) && MajorityActive(Config.VotersOutgoing, self);
        foreach (var (id, progress) in _progress)
        {
            progress.RecentActive = id == self;
        }

        return active;
    }

    private bool MajorityActive(int[] voters, int self)
    {
        var active = 0;
        foreach (var id in voters)
        {
            if (id == self || _progress[id].RecentActive)
            {
                active++;
            }
        }
        return active >= voters.Length / 2 + 1 || voters.Length == 0;
    }

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(int id, bool granted)
    {
        if (IsVoter(id))
        {
            _votes.TryAdd(id, granted);
        }
    }

    public enum VoteResult { Pending, Won, Lost }

    /// <summary>Won with a majority of each half, lost when either half can no longer give one, pending otherwise.</summary>
    public VoteResult TallyVotes()
    {
        var incoming = MajorityVote(Config.Voters);
        var outgoing = MajorityVote(Config.VotersOutgoing);
        if (incoming == VoteResult.Won && outgoing == VoteResult.Won)
        {
            return VoteResult.Won;
        }

        if (incoming == VoteResult.Lost || outgoing == VoteResult.Lost)
        {
            return VoteResult.Lost;
        }

        return VoteResult.Pending;
    }

    private VoteResult MajorityVote(int[] voters)
    {
        if (voters.Length == 0)
        {
            return VoteResult.Won;
        }

        int granted = 0, rejected = 0;
        foreach (var id in voters)
        {
            if (!_votes.TryGetValue(id, out var vote))
            {
                continue;
            }

            if (vote)
            {
                granted++;
            }
            else
            {
                rejected++;
            }
        }
        var quorum = voters.Length / 2 + 1;
        if (granted >= quorum)
        {
            return VoteResult.Won;
        }

        if (rejected > voters.Length - quorum)
        {
            return VoteResult.Lost;
        }

        return VoteResult.Pending;
    }
}
