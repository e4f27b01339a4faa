using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// Every vote and pre-vote request and answer, sent and received, is logged (as etcd-io/raft logs them at info level):
/// an election is a handful of messages, and a slow one (survivors of a killed leader that take a second to agree) is
/// explained only by who asked whom, for which term, with which log, and who granted or refused.
/// </summary>
public sealed partial class KvNode
{
    private void LogElectionMessage(string direction, in Message message)
    {
        switch (message.Type)
        {
            case MessageType.PreVote or MessageType.Vote:
                _logger.LogInformation("Node {Id} (term {Term}, {Role}, last entry {LastIndex}@{LastTerm}) {Direction} {Type} for term {RequestTerm} (last entry {Index}@{LogTerm}) {Preposition} node {Peer}",
                    Id, _raft.Term, _raft.Role, _raft.LastIndex, _raft.LastTerm, direction, message.Type, message.Term, message.Index, message.LogTerm,
                    direction == "sent" ? "to" : "from", direction == "sent" ? message.To : message.From);
                break;
            case MessageType.PreVoteResponse or MessageType.VoteResponse:
                _logger.LogInformation("Node {Id} (term {Term}, {Role}) {Direction} {Type} {Verdict} for term {ResponseTerm} {Preposition} node {Peer}",
                    Id, _raft.Term, _raft.Role, direction, message.Type, message.Reject ? "refused" : "granted", message.Term,
                    direction == "sent" ? "to" : "from", direction == "sent" ? message.To : message.From);
                break;
        }
    }
}
