using System;

namespace KvRaft.Raft;

/// <summary>The kinds of message Raft nodes exchange.</summary>
public enum MessageType : byte
{
    /// <summary>A pre-candidate asks whether it could win (Index/LogTerm: its last entry; Term: the term it would campaign in).</summary>
    PreVote = 1,
    /// <summary>Answer to PreVote (Reject when refused).</summary>
    PreVoteResponse = 2,
    /// <summary>A candidate asks for a vote (Index/LogTerm: its last entry; Context = 1 when forced by a leadership transfer).</summary>
    Vote = 3,
    /// <summary>Answer to Vote (Reject when refused).</summary>
    VoteResponse = 4,
    /// <summary>Entries after (Index, LogTerm), with the leader's Commit.</summary>
    Append = 5,
    /// <summary>Answer to Append: Index is the follower's match on success; on Reject, Index is the rejected prev index, LogTerm the conflicting term and RejectHint its first index.</summary>
    AppendResponse = 6,
    /// <summary>Leader liveness and commit (Commit never above the follower's match); Context is a read round.</summary>
    Heartbeat = 7,
    /// <summary>Answer to Heartbeat, echoing Context.</summary>
    HeartbeatResponse = 8,
    /// <summary>Install the snapshot described by Snapshot; its bytes travel through the snapshot seam.</summary>
    Snapshot = 9,
    /// <summary>Leadership transfer: campaign now, skipping pre-vote.</summary>
    TimeoutNow = 10,
    /// <summary>A follower forwards a read request (Context) to the leader.</summary>
    ReadIndex = 11,
    /// <summary>The leader answers a forwarded read: Index is the read index for Context.</summary>
    ReadIndexResponse = 12,
}

/// <summary>A message between Raft nodes. A plain struct: the host copies it onto the wire and back.</summary>
public struct Message
{
    /// <summary>What kind of message.</summary>
    public MessageType Type;
    /// <summary>Sender id.</summary>
    public int From;
    /// <summary>Receiver id.</summary>
    public int To;
    /// <summary>The sender's term (0 for ReadIndex forwarded locally).</summary>
    public long Term;
    /// <summary>A log term: prev term (Append), last term (votes), conflict term (rejected AppendResponse).</summary>
    public long LogTerm;
    /// <summary>A log index: prev index (Append), last index (votes), match or rejected index (AppendResponse), read index.</summary>
    public long Index;
    /// <summary>The leader's commit index.</summary>
    public long Commit;
    /// <summary>True for a refusal.</summary>
    public bool Reject;
    /// <summary>On a rejected Append: the first index of the conflicting term in the follower's log, or its last index + 1.</summary>
    public long RejectHint;
    /// <summary>A read context or heartbeat round; 1 on a Vote forced by leadership transfer.</summary>
    public long Context;
    /// <summary>
    /// Entries of an Append. In a message the core sends, this memory is the core's, reused once the Ready that
    /// carries the message is advanced: a host that keeps a message longer (a simulated network) copies them.
    /// </summary>
    public ReadOnlyMemory<Entry> Entries;
    /// <summary>The snapshot of a Snapshot message.</summary>
    public SnapshotMetadata Snapshot;

    /// <inheritdoc />
    public override readonly string ToString()
    {
        var text = $"{Type} {From}->{To} t{Term} i{Index} lt{LogTerm} c{Commit}";
        if (Reject)
        {
            text += $" REJECT hint{RejectHint}";
        }

        if (Context != 0)
        {
            text += $" ctx{Context}";
        }

        if (Entries.Length > 0)
        {
            text += $" [{Entries.Span[0].Index}..{Entries.Span[^1].Index}]";
        }

        if (Type == MessageType.Snapshot)
        {
            text += $" snap{Snapshot.Index}@{Snapshot.Term}";
        }

        return text;
    }
}
