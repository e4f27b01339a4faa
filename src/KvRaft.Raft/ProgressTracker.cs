using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// The one place that knows the membership: the voter set, the leader's progress for each voter,
/// votes received, and quorum arithmetic. Membership changes extend this class only.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Dictionary<int, Progress> _progress = new();
    private readonly Dictionary<int, bool> _votes = new();
    private readonly long[] _matchScratch;
    private readonly int _inflightMessagesMax;
    private readonly long _inflightBytesMax;

    public ProgressTracker(ConfigState config, int inflightMessagesMax, long inflightBytesMax)
    {
        Invariant.True(config.Voters.Length > 0);
        Voters = (int[])config.Voters.Clone();
        Array.Sort(Voters);
        for (int i = 1; i < Voters.Length; i++) Invariant.True(Voters[i] != Voters[i - 1] && Voters[i] > 0);
        _matchScratch = new long[Voters.Length];
        _inflightMessagesMax = inflightMessagesMax;
        _inflightBytesMax = inflightBytesMax;
        Reset(1);
    }

    /// <summary>Voter ids, ascending.</summary>
    public int[] Voters { get; }

    public int Quorum => Voters.Length / 2 + 1;

    public bool IsVoter(int id) => _progress.ContainsKey(id);

    public Progress this[int id] => _progress[id];

    public IReadOnlyDictionary<int, Progress> All => _progress;

    /// <summary>A fresh progress for every voter (a new leader's view).</summary>
    public void Reset(long next)
    {
        _progress.Clear();
        foreach (int id in Voters)
        {
            _progress[id] = new Progress(next, _inflightMessagesMax, _inflightBytesMax);
        }
    }

    /// <summary>The highest index replicated on a quorum.</summary>
    public long QuorumMatch()
    {
        for (int i = 0; i < Voters.Length; i++) _matchScratch[i] = _progress[Voters[i]].Match;
        Array.Sort(_matchScratch);
        return _matchScratch[Voters.Length - Quorum];
    }

    /// <summary>Whether a quorum has been active; clears every flag but <paramref name="self"/>'s.</summary>
    public bool QuorumActiveThenClear(int self)
    {
        int active = 0;
        foreach (var (id, progress) in _progress)
        {
            if (id == self || progress.RecentActive) active++;
            progress.RecentActive = id == self;
        }
        return active >= Quorum;
    }

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(int id, bool granted)
    {
        if (IsVoter(id)) _votes.TryAdd(id, granted);
    }

    public enum VoteResult { Pending, Won, Lost }

    public VoteResult TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (bool vote in _votes.Values)
        {
            if (vote) granted++;
            else rejected++;
        }
        if (granted >= Quorum) return VoteResult.Won;
        if (rejected > Voters.Length - Quorum) return VoteResult.Lost;
        return VoteResult.Pending;
    }
}
