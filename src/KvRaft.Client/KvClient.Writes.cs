using KvRaft.Protocol;

namespace KvRaft.Client;

public sealed partial class KvClient
{
    /// <summary>Runs a read (or Status) until a definite answer or the deadline (the runner disposes the deadline).</summary>
    private Task<ClientResponse> ReadAsync(ClientRequest request, TimeSpan? timeout, CancellationToken cancellationToken, string? endpoint = null) =>
        _runner.RunAsync(request, Start(timeout, cancellationToken), new Attempts(), endpoint, ownsDeadline: true);

    /// <summary>
    /// Runs a write under a session of the pool: one (client id, sequence) for all its attempts. A
    /// SessionExpired answer before any attempt may have been applied moves the write to a new
    /// session; after that it is an unknown outcome (never re-applied under another session).
    /// </summary>
    private async Task<ClientResponse> WriteAsync(ClientRequest template, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = Start(timeout, cancellationToken);
        var session = _sessions.TryRentIdle(out var idle) ? idle : await SessionAsync(_sessions.RentAsync, deadline).ConfigureAwait(false);
        var attempts = new Attempts();
        while (true)
        {
            var sequence = session.LastSequence + 1;
            try
            {
                var request = template with { ClientId = session.ClientId, Sequence = sequence };
                var response = await _runner.RunAsync(request, deadline, attempts).ConfigureAwait(false);
                session.LastSequence = sequence;
                _sessions.Return(session);
                return response;
            }
            catch (SessionExpiredException) when (!attempts.MaySent)
            {
                session = await SessionAsync(_sessions.ReplaceAsync, deadline).ConfigureAwait(false);
            }
            catch (SessionExpiredException expired)
            {
                _sessions.Discard();
                throw new KvOutcomeUnknownException("the session expired after the write may have been applied", expired);
            }
            catch (Exception) when (attempts.MaySent)
            {
                _sessions.Discard(); // the server may still apply this sequence: retire the session
                throw;
            }
            catch (KvInvalidArgumentException)
            {
                // Answered by the server (TooLarge, InvalidArgument): the log may hold this sequence with that answer
                // (an Append refused by the state machine), so the next write must not reuse it and get this answer as
                // a duplicate. Skipping a sequence is harmless: a session takes any larger one.
                session.LastSequence = sequence;
                _sessions.Return(session);
                throw;
            }
            catch (Exception)
            {
                _sessions.Return(session); // nothing was applied under this sequence
                throw;
            }
        }
    }

    /// <summary>Gets a session; the write has not been sent, so a deadline here means "not applied".</summary>
    private static async Task<Session> SessionAsync(Func<Deadline, Task<Session>> rent, Deadline deadline)
    {
        try
        {
            return await rent(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException cancelled) when (!deadline.CallerCancelled)
        {
            throw new KvNotAppliedException($"deadline ({deadline.Timeout.TotalMilliseconds:0} ms) passed waiting for a session: the write was not sent", cancelled);
        }
    }
}
