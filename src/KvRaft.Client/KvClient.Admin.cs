using KvRaft.Protocol;

namespace KvRaft.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// Asks the leader to hand leadership to node <paramref name="toNodeId"/> (0: the leader picks its most caught-up
    /// reachable follower) and waits until another node leads.
    /// </summary>
    /// <param name="toNodeId">The voter to lead next, or 0 to let the leader choose.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The id of the node that leads after the transfer (the leader's own id when it was asked to hand over to itself).</returns>
    /// <exception cref="KvInvalidArgumentException"><paramref name="toNodeId"/> is negative or not another voter.</exception>
    /// <exception cref="KvClusterUnavailableException">No leader could be reached, or the transfer did not end, in time.</exception>
    public async Task<int> TransferLeadershipAsync(int toNodeId = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(toNodeId);
        var request = new ClientRequest { Op = ClientOp.TransferLeader, TargetNodeId = toNodeId };
        var response = await ReadAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return response.LeaderId;
    }
}
