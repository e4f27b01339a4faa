using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>What the attempts of one call have learned so far.</summary>
internal sealed class Attempts
{
    /// <summary>True once an attempt may have reached a leader without a definite answer (lost connection, timeout, Retryable, InternalError).</summary>
    public bool MaySent { get; set; }

    /// <summary>True once an attempt failed to connect, lost its connection or found no leader.</summary>
    public bool Unavailable { get; set; }

    /// <summary>The most recent failure, kept as the inner exception of what the call throws.</summary>
    public Exception? LastFailure { get; set; }

    /// <summary>Nothing learned yet: for the next call of a reused <see cref="Deadline"/>.</summary>
    public void Reset()
    {
        MaySent = false;
        Unavailable = false;
        LastFailure = null;
    }
}

/// <summary>The server no longer knows the request's session (internal signal to the write path).</summary>
internal sealed class SessionExpiredException : Exception
{
    public SessionExpiredException() : base("session expired")
    {
    }
}

/// <summary>The group does not serve the request's key (internal signal to the routing of key requests).</summary>
internal sealed class WrongGroupException(long configurationNumber) : Exception("wrong group: the key's shard is served by another group")
{
    /// <summary>The refusing group's configuration number: the client needs one at least this new.</summary>
    public long ConfigurationNumber { get; } = configurationNumber;
}

/// <summary>
/// Sends one request until a definite answer or the deadline: follows NotLeader hints, moves to the
/// next endpoint when a connection fails, and pauses (jittered, doubling) after Retryable answers
/// and after every full round of endpoints without success. Every attempt resends the same request
/// (same client id and sequence) under a fresh request id.
/// </summary>
internal sealed class RequestRunner
{
    private readonly Cluster _cluster;
    private readonly KvClientOptions _options;

    public RequestRunner(Cluster cluster, KvClientOptions options)
    {
        _cluster = cluster;
        _options = options;
    }

    /// <summary>
    /// Returns an Ok or NotFound response; otherwise throws (see the class remarks). With <paramref name="ownsDeadline"/>
    /// the deadline is disposed when the call ends. One state machine for the whole call, attempts included: the
    /// connection and the send are awaited here directly (they complete synchronously on the common path). The state
    /// machine is pooled: await the value task once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ClientResponse> RunAsync(ClientRequest request, Deadline deadline, Attempts attempts, string? fixedEndpoint = null, bool ownsDeadline = false)
    {
        int misses = 0, retries = 0;
        try
        {
            while (true)
            {
                var endpoint = fixedEndpoint ?? _cluster.Target;
                var leaderMoved = _cluster.LeaderMoved;
                ClientResponse? response = null;
                Connection? connection = null;
                try
                {
                    connection = await _cluster.ConnectAsync(endpoint).WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (System.Security.Authentication.AuthenticationException error)
                {
                    // A TLS handshake that failed on certificates: not a fault that retrying mends.
                    var message = $"TLS handshake with {endpoint} failed: {error.Message}";
                    throw attempts.MaySent ? new KvOutcomeUnknownException(message, error) : new KvNotAppliedException(message, error);
                }
                catch (Exception error) when (error is SocketException or TimeoutException or OperationCanceledException or IOException)
                {
                    attempts.Unavailable = true; // no connection (yet): also when the deadline passed while connecting
                    attempts.LastFailure = error;
                    // The deadline passed while connecting: end as the deadline does (a SocketException rethrown here escaped every handler).
                    deadline.Token.ThrowIfCancellationRequested();
                }
                if (connection is not null)
                {
                    var pending = _cluster.Pool.Requests.Rent(request with { RequestId = _cluster.Pool.NextRequestId() }, _cluster.GroupId);
                    try
                    {
                        response = await connection.Send(pending, deadline.Token).ConfigureAwait(false);
                        attempts.Unavailable |= response.Value.Status == ClientStatus.NotLeader;
                    }
                    catch (ConnectionLostException lost)
                    {
                        attempts.MaySent |= lost.PossiblySent;
                        attempts.Unavailable = true;
                        attempts.LastFailure = lost;
                    }
                    catch (OperationCanceledException)
                    {
                        attempts.MaySent |= pending.PossiblySent;
                        throw;
                    }
                    finally
                    {
                        pending.Registration.Dispose(); // waits for a cancellation callback that runs: then nothing holds the request
                        _cluster.Pool.Requests.Return(pending);
                    }
                }
                if (response is { Status: ClientStatus.Ok or ClientStatus.NotFound } done)
                {
                    return done;
                }
                if (response is { Status: ClientStatus.Retryable } retryable)
                {
                    attempts.MaySent = true;
                    attempts.LastFailure = new IOException("retryable: " + retryable.Message);
                    // Cut short when another call learns of a new leader meanwhile: a leader that stepped down (or
                    // handed leadership over) answers Retryable what it had proposed, and the retry goes to the new one.
                    await Task.WhenAny(Task.Delay(Pause(retries++), deadline.Token), leaderMoved).ConfigureAwait(false);
                    deadline.Token.ThrowIfCancellationRequested();
                    continue;
                }
                Refuse(response, request.IsWrite, attempts);
                Redirect(response, endpoint, fixedEndpoint);
                misses++;
                var round = fixedEndpoint is null ? _cluster.EndpointCount : 1;
                if (misses % round == 0)
                {
                    // Cut short when another call learns of a new leader meanwhile (a NotLeader hint, a probe).
                    await Task.WhenAny(Task.Delay(Pause((misses / round) - 1), deadline.Token), leaderMoved).ConfigureAwait(false);
                    deadline.Token.ThrowIfCancellationRequested();
                }
            }
        }
        catch (OperationCanceledException) when (deadline.Token.IsCancellationRequested)
        {
            throw Expired(deadline, attempts, request.IsWrite);
        }
        catch (ObjectDisposedException disposed) when (attempts.MaySent)
        {
            throw new KvOutcomeUnknownException("the client was disposed after the request may have reached a leader", disposed);
        }
        finally
        {
            if (ownsDeadline)
            {
                deadline.Dispose();
            }
        }
    }

    /// <summary>Throws for the answers that end the call: SessionExpired, SessionNotOwned, TooManySessions, InvalidArgument, TooLarge, InternalError, WrongGroup.</summary>
    private static void Refuse(ClientResponse? response, bool isWrite, Attempts attempts)
    {
        switch (response?.Status)
        {
            case ClientStatus.WrongGroup: // not applied, no trace: the caller finds the key's owner and resends the same request
                throw new WrongGroupException(response.Value.ConfigurationNumber);
            case ClientStatus.SessionExpired:
            case ClientStatus.SessionNotOwned: // not applied, as SessionExpired: e.g. the client's certificate changed names
                throw new SessionExpiredException();
            case ClientStatus.TooManySessions:
                throw new KvNotAppliedException("the server refused a new session: " + response.Value.Message);
            case ClientStatus.InvalidArgument:
                throw new KvInvalidArgumentException("the server refused the request: " + response.Value.Message);
            case ClientStatus.TooLarge:
                throw new KvTooLargeException("the server refused the request as too large: " + response.Value.Message);
            case ClientStatus.InternalError when isWrite:
                attempts.MaySent = true;
                throw new KvOutcomeUnknownException("the server failed while handling the write: " + response.Value.Message);
            case ClientStatus.InternalError:
                throw new KvNotAppliedException("the server failed: " + response.Value.Message);
        }
    }

    /// <summary>After a NotLeader answer or a failed connection: pick the next target.</summary>
    private void Redirect(ClientResponse? response, string endpoint, string? fixedEndpoint)
    {
        if (fixedEndpoint is not null)
        {
            return;
        }
        if (response is { Status: ClientStatus.NotLeader } notLeader)
        {
            _cluster.OnNotLeader(endpoint, notLeader.LeaderKnown ? notLeader.LeaderAddress : null);
            return;
        }
        _cluster.MoveOn(endpoint);
    }

    private TimeSpan Pause(int round) => Backoff.Delay(round, _options.RetryBackoffMin, _options.RetryBackoffMax);

    /// <summary>
    /// The exception for a call that ran out of time or was cancelled. A write that may have been
    /// received is unknown; a read is unknown only when no failure explains the wait (a read has no
    /// effect, so "the cluster was unavailable" is the more useful answer when it is true).
    /// </summary>
    private static Exception Expired(Deadline deadline, Attempts attempts, bool isWrite)
    {
        var cause = deadline.CallerCancelled ? "cancelled" : $"deadline ({deadline.Timeout.TotalMilliseconds:0} ms) passed";
        if (attempts.MaySent && (isWrite || !attempts.Unavailable))
        {
            return new KvOutcomeUnknownException(cause + " after the request may have reached a leader", attempts.LastFailure);
        }
        if (deadline.CallerCancelled)
        {
            return new OperationCanceledException("cancelled before the request was sent", attempts.LastFailure, deadline.CallerToken);
        }
        if (attempts.Unavailable)
        {
            return new KvClusterUnavailableException(cause + ": no server reachable that knows a leader", attempts.LastFailure);
        }
        return new KvNotAppliedException(cause + " before the request was sent");
    }
}
