namespace KvRaft.Server.Hosting;

/// <summary>
/// A stopped loop still answers clients: what the node held when the Stop event was taken, and every request that
/// reaches it until the client connections close, is answered at once (NotLeader naming the leader it knows, or
/// Retryable for what it had proposed: see <c>KvNode.OnStopping</c>), so no client waits for the rest of the shutdown.
/// </summary>
internal sealed partial class NodeHost
{
    /// <summary>The Stop event was taken: the node answers what it holds and what was queued behind the Stop.</summary>
    private void OnStop()
    {
        _node.OnStopping();
        AnswerAfterStop();
    }

    /// <summary>
    /// A turn after the stop: the client requests queued since are refused (a bounded share per turn; a post during
    /// this schedules the next turn), everything else is dropped.
    /// </summary>
    private void AnswerAfterStop()
    {
        var taken = 0;
        for (; taken < EventsPerTurnMax && _events.TryTakeClient(out var item); taken++)
        {
            if (item.Kind == NodeEventKind.ClientRequest)
            {
                _node.RefuseAfterStop(item.ConnectionId, item.Request, item.Received);
            }
        }

        _node.FlushClients();
        if (taken == EventsPerTurnMax)
        {
            ScheduleTurn(); // more may wait (peer and control events are no longer taken: they would only spin the loop)
        }
    }
}
