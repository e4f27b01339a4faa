using System.Buffers;
using System.Runtime.CompilerServices;
using KvRaft.Protocol;

namespace KvRaft.Client;

public sealed partial class KvClient
{
    /// <summary>Runs a read (or Status) until a definite answer or the deadline (the runner disposes the deadline).</summary>
    private ValueTask<ClientResponse> ReadAsync(ClientRequest request, TimeSpan? timeout, CancellationToken cancellationToken, string? endpoint = null)
    {
        var deadline = Start(timeout, cancellationToken);
        return _runner.RunAsync(request, deadline, deadline.Attempts, endpoint, ownsDeadline: true);
    }

    /// <summary>
    /// A Put or Append of the UTF-8 forms of <paramref name="key"/> and <paramref name="value"/>, encoded into one pooled
    /// buffer (given back when the call ends: by then no attempt reads it any more, see <see cref="PendingRequest"/>).
    /// Text that is null or not valid UTF-16 throws here, before any task.
    /// </summary>
    private Task WriteTextAsync(ClientOp op, string key, string value, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var buffer = Arguments.Utf8Pooled(key, nameof(key), value, nameof(value), out var keyBytes, out var valueBytes);
        return WriteKeyAsync(op, buffer.AsMemory(0, keyBytes), buffer.AsMemory(keyBytes, valueBytes), buffer, timeout, cancellationToken).AsTask();
    }

    /// <summary>
    /// A Put or Append, its arguments checked in the task (as an async method does); <paramref name="rented"/>, when
    /// given, holds both and goes back to <see cref="ArrayPool{T}.Shared"/> once the call has ended. The state machine
    /// is pooled, and so is the write's (<see cref="WriteAsync"/>): the caller's task is the one allocation left.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteKeyAsync(ClientOp op, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, byte[]? rented, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(new ClientRequest { Op = op, Key = Arguments.Key(key), Value = Arguments.Value(value) }, timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Runs a write under a session of its key's group: one (client id, sequence) for all its attempts. A WrongGroup
    /// answer (nothing applied) resends the same request, same session and sequence, to the owner of a newer
    /// configuration (the session moves with the shard's data). A SessionExpired answer before any attempt may have been
    /// applied moves the write to a new session, of the group it is at; after that it is an unknown outcome (never
    /// re-applied under another session).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClientResponse> WriteAsync(ClientRequest template, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = Start(timeout, cancellationToken);
        var route = RouteOf(template);
        var sessions = route.Sessions; // the pool the session came from, and goes back to
        var session = sessions.TryRentIdle(out var idle) ? idle : await SessionAsync(sessions.RentAsync, deadline).ConfigureAwait(false);
        var attempts = deadline.Attempts;
        for (var round = 0; ; round++)
        {
            var sequence = session.LastSequence + 1;
            try
            {
                var request = template with { ClientId = session.ClientId, Sequence = sequence };
                var response = await route.Runner.RunAsync(request, deadline, attempts).ConfigureAwait(false);
                session.LastSequence = sequence;
                sessions.Return(session);
                return response;
            }
            catch (WrongGroupException wrong)
            {
                await RefreshForWriteAsync(wrong, round, deadline, attempts, sessions, session).ConfigureAwait(false);
                route = RouteOf(template);
            }
            catch (SessionExpiredException) when (!attempts.MaySent && sessions != route.Sessions)
            {
                // The group the write was routed to does not know the session (registered in another group): a session of its own.
                sessions.Discard();
                sessions = route.Sessions;
                session = await SessionAsync(sessions.RentAsync, deadline).ConfigureAwait(false);
            }
            catch (SessionExpiredException) when (!attempts.MaySent)
            {
                session = await SessionAsync(sessions.ReplaceAsync, deadline).ConfigureAwait(false);
            }
            catch (SessionExpiredException expired)
            {
                sessions.Discard();
                throw new KvOutcomeUnknownException("the session expired after the write may have been applied", expired);
            }
            catch (Exception) when (attempts.MaySent)
            {
                sessions.Discard(); // the server may still apply this sequence: retire the session
                throw;
            }
            catch (KvInvalidArgumentException)
            {
                // Answered by the server (TooLarge, InvalidArgument): the log may hold this sequence with that answer
                // (an Append refused by the state machine), so the next write must not reuse it and get this answer as
                // a duplicate. Skipping a sequence is harmless: a session takes any larger one.
                session.LastSequence = sequence;
                sessions.Return(session);
                throw;
            }
            catch (Exception)
            {
                sessions.Return(session); // nothing was applied under this sequence
                throw;
            }
        }
    }

    /// <summary>The controller's writes go to group 0 (the controller of a sharded cluster); the others to their key's group.</summary>
    private GroupRoute RouteOf(in ClientRequest request) => ClientOps.IsControllerWrite(request.Op) ? _router.Controller : _router.RouteOf(request.Key.Span);

    /// <summary>A WrongGroup answer to a write: refreshes the configuration; when that fails, the session is given back (or retired) first.</summary>
    private async Task RefreshForWriteAsync(WrongGroupException wrong, int round, Deadline deadline, Attempts attempts, SessionPool sessions, Session session)
    {
        try
        {
            await RefreshAsync(wrong.ConfigurationNumber, round, deadline, attempts, isWrite: true).ConfigureAwait(false);
        }
        catch (KvOutcomeUnknownException)
        {
            sessions.Discard(); // an earlier attempt may still apply this sequence
            throw;
        }
        catch (Exception)
        {
            // Nothing was applied under this sequence; the session is reused as is (its last sequence unchanged).
            sessions.Return(session);
            throw;
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
