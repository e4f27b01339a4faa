using System;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// The highest term a node adopts or campaigns in: far beyond any real cluster's, and low enough that Term + 1
    /// never overflows. A message with a higher term is refused.
    /// </summary>
    public const long TermMax = long.MaxValue / 2;

    /// <summary>
    /// Whether <paramref name="message"/> could have come from a correct peer, judged on its own fields: addressed
    /// to this node by another node, terms and indices in range (an Append's previous term never above the message's
    /// term; a candidate's last term may be: a write torn after its entries loses the term they came with), an Append's entries right after its index with
    /// terms that never decrease and never pass the message's, a snapshot that names a well-formed configuration.
    /// </summary>
    private bool IsWellFormed(in Message message)
    {
        // Any other node may be a member of a configuration this node has not applied yet (a voter just added, the
        // leader of a newer configuration): the sender's membership is checked where it matters (a leader hears only
        // its members, a candidate counts only its voters).
        if (message.To != Id || message.From == Id || message.From <= 0)
        {
            return false;
        }

        if (message.Term < 0 || message.Term > TermMax || message.LogTerm < 0)
        {
            return false;
        }

        if (message.LogTerm > message.Term && message.Type == MessageType.Append)
        {
            return false;
        }

        if (message.Index < 0 || message.Commit < 0 || message.RejectHint < 0)
        {
            return false;
        }

        if (message.Entries.Length > 0 && message.Type != MessageType.Append)
        {
            return false;
        }

        return message.Type switch
        {
            MessageType.Append => EntriesFollow(message),
            MessageType.Snapshot => IsWellFormed(message.Snapshot, message.Term),
            _ => true,
        };
    }

    private static bool EntriesFollow(in Message message)
    {
        var entries = message.Entries.Span;
        if (message.Index > long.MaxValue - entries.Length)
        {
            return false;
        }

        var previousTerm = message.LogTerm;
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Index != message.Index + 1 + i || entry.Term < previousTerm || entry.Term < 1 || entry.Term > message.Term)
            {
                return false;
            }

            previousTerm = entry.Term;
        }
        return true;
    }

    private static bool IsWellFormed(SnapshotMetadata snapshot, long messageTerm)
    {
        if (snapshot.Index < 1 || snapshot.Term < 1 || snapshot.Term > messageTerm || snapshot.Config is not { } config)
        {
            return false;
        }

        if (config.Voters is null || config.VotersOutgoing is null || config.Learners is null || config.Voters.Length == 0)
        {
            return false;
        }

        return config.Normalized().IsWellFormed();
    }

    /// <summary>
    /// Whether <paramref name="message"/> fits what this node knows of its own term: one leader per term (Appends,
    /// heartbeats, snapshots and TimeoutNow only from the leader this node follows), and as leader only answers to
    /// what it sent (no acknowledgement beyond its log, no heartbeat answer from the future).
    /// </summary>
    private bool IsPossibleNow(in Message message)
    {
        if (message.Term != Term)
        {
            return true;
        }

        return message.Type switch
        {
            MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot or MessageType.TimeoutNow =>
                Leader == 0 || Leader == message.From,
            MessageType.AppendResponse => Role != Role.Leader || message.Index <= _log.LastIndex,
            MessageType.HeartbeatResponse => Role != Role.Leader || message.Index <= _leaderTicks,
            _ => true,
        };
    }
}
