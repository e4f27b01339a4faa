using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// Every vote and pre-vote request and answer, sent and received, is logged (as etcd-io/raft logs them at info level):
/// an election is a handful of messages, and a slow one (survivors of a killed leader that take a second to agree) is
/// explained only by who asked whom, for which term, with which log, and who granted or refused. The lines about each
/// peer are bounded per window of ticks (<see cref="ElectionLogLimiter"/>): a peer flooding votes costs a bounded
/// number of lines and one "suppressed N" line per window, logged when the window ends (at a tick or at the next line).
/// </summary>
public sealed partial class KvNode
{
    private ElectionLogLimiter? _electionLog;
    private readonly List<ElectionLogLimiter.Suppressed> _electionLogEnded = [];

    private void LogElectionMessage(string direction, in Message message)
    {
        if (message.Type is not (MessageType.PreVote or MessageType.Vote or MessageType.PreVoteResponse or MessageType.VoteResponse))
        {
            return;
        }
        var peer = direction == "sent" ? message.To : message.From;
        _electionLog ??= new ElectionLogLimiter(_limits.ElectionLogLinesPerPeerMax, _limits.ElectionLogWindowTicks, _limits.ElectionLogPeersMax);
        var allowed = _electionLog.TryTake(peer, _tick, _electionLogEnded);
        LogSuppressedElectionLines();
        if (!allowed)
        {
            Statistics.ElectionLogLineSuppressed();
            return;
        }
        switch (message.Type)
        {
            case MessageType.PreVote or MessageType.Vote:
                _logger.LogInformation("Node {Id} (term {Term}, {Role}, last entry {LastIndex}@{LastTerm}) {Direction} {Type} for term {RequestTerm} (last entry {Index}@{LogTerm}) {Preposition} node {Peer}",
                    Id, _raft.Term, _raft.Role, _raft.LastIndex, _raft.LastTerm, direction, message.Type, message.Term, message.Index, message.LogTerm,
                    direction == "sent" ? "to" : "from", peer);
                break;
            default:
                _logger.LogInformation("Node {Id} (term {Term}, {Role}) {Direction} {Type} {Verdict} for term {ResponseTerm} {Preposition} node {Peer}",
                    Id, _raft.Term, _raft.Role, direction, message.Type, message.Reject ? "refused" : "granted", message.Term,
                    direction == "sent" ? "to" : "from", peer);
                break;
        }
    }

    /// <summary>At a tick: the summary lines of the election log windows that have ended.</summary>
    private void FlushElectionLog()
    {
        if (_electionLog is null)
        {
            return;
        }
        _electionLog.Flush(_tick, _electionLogEnded);
        LogSuppressedElectionLines();
    }

    private void LogSuppressedElectionLines()
    {
        foreach (var ended in _electionLogEnded)
        {
            _logger.LogWarning("Node {Id} suppressed {Lines} election log lines about {Peer} in the last {Ticks} ticks (at most {Max} per peer per {Window} ticks)",
                Id, ended.Lines, ended.Peer == ElectionLogLimiter.OtherPeers ? "untracked peers" : $"node {ended.Peer}", ended.WindowTicks,
                _limits.ElectionLogLinesPerPeerMax, _limits.ElectionLogWindowTicks);
        }
        _electionLogEnded.Clear();
    }
}
