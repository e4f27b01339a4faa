namespace KvRaft.Server.Node;

/// <summary>
/// Leadership hand-over of every group a stopping process leads (as a one-group node hands over before it stops):
/// each such group starts a transfer to its best follower, so that it is led again at once instead of after an
/// election timeout of silence.
/// </summary>
public sealed partial class GroupReplicas
{
    /// <summary>
    /// Starts a leadership transfer in every group led here. A quiesced leader is woken first: it must tick for the
    /// core to abandon a transfer that does not finish, and it must send the Append and TimeoutNow that carry it.
    /// </summary>
    /// <returns>Per group led here, in slot order, the node its transfer goes to (0: no other voter was reachable).</returns>
    public IReadOnlyList<(int Group, int Target)> HandOverLeadership()
    {
        var transfers = new List<(int Group, int Target)>();
        for (var slot = 0; slot < _nodes.Count; slot++)
        {
            if (_nodes[slot].IsLeader)
            {
                Wake(slot);
                transfers.Add((_groupIds[slot], _nodes[slot].HandOverLeadership()));
            }
        }
        return transfers;
    }
}
