using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// Gets whose values are on the state machine's device (cold) never hold up the event loop: the read goes pending in
/// the store and is answered at a later turn, when the device read has ended (<see cref="EndTurn"/> collects them).
/// Linearizability holds: the read index was applied before the read started, and the answer is the state as of some
/// moment between then and the reply. Replies on a connection may come out of order (the protocol allows it: each
/// carries its request id).
/// </summary>
public sealed partial class KvNode
{
    private readonly Dictionary<long, Reader> _coldReads = new(); // pending Gets by token; each still counted in _pendingReads
    private readonly List<CompletedGet> _completedGets = new(); // reused each turn
    private long _nextColdReadToken = 1; // the token of the next Get (positive): a Get that goes pending keeps it

    /// <summary>Gets waiting for the state machine's device.</summary>
    public int ColdReadsPending => _coldReads.Count;

    private void StartColdRead(long token, in Reader reader)
    {
        _coldReads.Add(token, reader);
        _nextColdReadToken++;
    }

    /// <summary>Answers the cold Gets whose device reads have ended (never waits).</summary>
    private void AnswerColdReads()
    {
        if (_coldReads.Count == 0)
        {
            return;
        }

        _completedGets.Clear();
        _machine.TakeCompletedGets(_completedGets);
        foreach (var completed in _completedGets)
        {
            if (_coldReads.Remove(completed.Token, out var reader))
            {
                _pendingReads--;
                ReplyValue(reader, completed.Value is { } value ? value : null);
            }
        }
        _completedGets.Clear();
    }
}
