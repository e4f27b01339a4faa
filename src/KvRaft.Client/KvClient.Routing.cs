using System.Runtime.CompilerServices;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Client;

/// <summary>Key requests in a sharded cluster: routed by the shard configuration, refreshed on WrongGroup.</summary>
public sealed partial class KvClient
{
    /// <summary>Runs a Get at the leader of its key's group until a definite answer or the deadline.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClientResponse> KeyReadAsync(ClientRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = Start(timeout, cancellationToken);
        var attempts = deadline.Attempts;
        for (var round = 0; ; round++)
        {
            var route = _router.RouteOf(request.Key.Span);
            try
            {
                return await route.Runner.RunAsync(request, deadline, attempts).ConfigureAwait(false);
            }
            catch (WrongGroupException wrong)
            {
                await RefreshAsync(wrong.ConfigurationNumber, round, deadline, attempts, isWrite: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// After a WrongGroup answer from a group at configuration <paramref name="refusedAt"/>: asks the controller for the
    /// latest configuration; when it is not newer than the one known (the owner has not taken the shard yet, or the
    /// group that refused lags), pauses (jittered, doubling with <paramref name="round"/>, bounded) before the caller
    /// resends. The caller resends the same request; the deadline bounds it all. A WrongGroup left no trace, so what
    /// the call throws depends only on the attempts before it.
    /// </summary>
    private async Task RefreshAsync(long refusedAt, int round, Deadline deadline, Attempts attempts, bool isWrite)
    {
        try
        {
            var known = _router.Configuration;
            if ((known is null || known.Number <= refusedAt) && _router.Learn(await QueryConfigurationAsync(deadline).ConfigureAwait(false)))
            {
                return;
            }
            await Task.Delay(Backoff.Delay(round, _options.RetryBackoffMin, _options.RetryBackoffMax), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is KvException and not KvInvalidArgumentException || (error is OperationCanceledException && deadline.Token.IsCancellationRequested))
        {
            var message = "no configuration naming the key's group could be had before the deadline";
            if (isWrite && attempts.MaySent)
            {
                throw new KvOutcomeUnknownException(message + ", after the write may have been applied", error);
            }
            if (deadline.CallerCancelled)
            {
                throw new OperationCanceledException("cancelled before the request was applied", error, deadline.CallerToken);
            }
            throw new KvClusterUnavailableException(message, error);
        }
    }

    /// <summary>The controller's latest configuration (a ShardQuery to group 0's leader).</summary>
    private async Task<ShardConfiguration> QueryConfigurationAsync(Deadline deadline)
    {
        var response = await _runner.RunAsync(new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = -1 }, deadline, new Attempts()).ConfigureAwait(false);
        return response.Configuration ?? throw new KvNotAppliedException("the controller answered a shard query without a configuration");
    }
}
