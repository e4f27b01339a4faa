using KvRaft.Protocol;

namespace KvRaft.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// Lists the members as the leader sees them (voters, learners, the outgoing voters of a joint change, their
    /// addresses and match indexes), or, with <paramref name="endpoint"/>, as that server sees them (any server; the
    /// match indexes only when it leads).
    /// </summary>
    /// <param name="endpoint">"host:port" of the server to ask, or null for the leader.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvClusterUnavailableException">No leader (or the server) could be reached in time.</exception>
    public async Task<MemberListing> MemberListAsync(string? endpoint = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (endpoint is not null)
        {
            Endpoints.Parse(endpoint);
        }

        var request = new ClientRequest { Op = ClientOp.MemberList, LocalView = endpoint is not null };
        var response = await ReadAsync(request, timeout, cancellationToken, endpoint).ConfigureAwait(false);
        return response.Members!;
    }

    /// <summary>
    /// Adds node <paramref name="nodeId"/> as a learner (it receives the log, never votes) listening for peers at
    /// <paramref name="peerAddress"/> and clients at <paramref name="clientAddress"/>; returns once the leader applied
    /// the change. Done already (the same learner, same addresses) is success.
    /// </summary>
    /// <param name="nodeId">The new member's id (positive, unused).</param>
    /// <param name="peerAddress">Its peer address, "host:port".</param>
    /// <param name="clientAddress">Its client address, "host:port".</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvInvalidArgumentException">The id or an address is invalid, or the node is a member under other addresses.</exception>
    /// <exception cref="KvClusterUnavailableException">No leader could be reached, or the change (one at a time) was not applied, in time.</exception>
    public Task AddLearnerAsync(int nodeId, string peerAddress, string clientAddress, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeId);
        Endpoints.Parse(peerAddress);
        Endpoints.Parse(clientAddress);
        return ReadAsync(new ClientRequest { Op = ClientOp.AddLearner, TargetNodeId = nodeId, PeerAddress = peerAddress, ClientAddress = clientAddress }, timeout, cancellationToken).AsTask();
    }

    /// <summary>Makes learner <paramref name="nodeId"/> a voter; returns once the leader applied the change (a voter already is success).</summary>
    /// <param name="nodeId">The learner's id.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvInvalidArgumentException">The node is no learner.</exception>
    /// <exception cref="KvClusterUnavailableException">No leader could be reached, or the change was not applied, in time.</exception>
    public Task PromoteLearnerAsync(int nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        MemberChangeAsync(ClientOp.PromoteLearner, nodeId, timeout, cancellationToken);

    /// <summary>Takes member <paramref name="nodeId"/> out of the configuration; returns once the leader applied the change (no member already is success).</summary>
    /// <param name="nodeId">The member's id.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvInvalidArgumentException">The change would leave no voter.</exception>
    /// <exception cref="KvClusterUnavailableException">No leader could be reached, or the change was not applied, in time.</exception>
    public Task RemoveMemberAsync(int nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        MemberChangeAsync(ClientOp.RemoveMember, nodeId, timeout, cancellationToken);

    private Task MemberChangeAsync(ClientOp op, int nodeId, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeId);
        return ReadAsync(new ClientRequest { Op = op, TargetNodeId = nodeId }, timeout, cancellationToken).AsTask();
    }
}
