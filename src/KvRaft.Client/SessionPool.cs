using System.Diagnostics.CodeAnalysis;

namespace KvRaft.Client;

/// <summary>A server session: its client id and the sequence of its last write with a definite answer.</summary>
internal sealed class Session
{
    public Session(ulong clientId)
    {
        ClientId = clientId;
    }

    public ulong ClientId { get; }

    public ulong LastSequence { get; set; }
}

/// <summary>
/// At most <see cref="KvClientOptions.SessionPoolSize"/> sessions, each lent to one write at a time
/// (the server remembers only the last sequence of a session, so a session may have only one write
/// outstanding). Sessions are registered lazily, when a write finds no idle one.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly Stack<Session> _idle = new(); // locked by itself: no node per push, as a concurrent stack has
    private readonly Func<Deadline, Task<ulong>> _register;

    public SessionPool(int size, Func<Deadline, Task<ulong>> register)
    {
        _slots = new SemaphoreSlim(size, size);
        _register = register;
    }

    /// <summary>Sessions registered and idle (for tests).</summary>
    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Takes a slot and an idle session when both are free now: no waiting, no registration, no task.</summary>
    public bool TryRentIdle([NotNullWhen(true)] out Session? session)
    {
        session = null;
        if (!_slots.Wait(0))
        {
            return false;
        }
        if (TryPopIdle(out session))
        {
            return true;
        }
        _slots.Release();
        return false;
    }

    /// <summary>Takes a slot and an idle session, or registers a new one.</summary>
    public async Task<Session> RentAsync(Deadline deadline)
    {
        await _slots.WaitAsync(deadline.Token).ConfigureAwait(false);
        if (TryPopIdle(out var session))
        {
            return session;
        }
        return await RegisterInSlotAsync(deadline).ConfigureAwait(false);
    }

    /// <summary>Registers a new session in the slot of one that expired (the slot is freed if this fails).</summary>
    public Task<Session> ReplaceAsync(Deadline deadline) => RegisterInSlotAsync(deadline);

    /// <summary>Gives back a session whose last write has a definite answer.</summary>
    public void Return(Session session)
    {
        lock (_idle)
        {
            _idle.Push(session);
        }
        _slots.Release();
    }

    /// <summary>Frees the slot of a session that must not be used again.</summary>
    public void Discard() => _slots.Release();

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private bool TryPopIdle([NotNullWhen(true)] out Session? session)
    {
        lock (_idle)
        {
            return _idle.TryPop(out session);
        }
    }

    private async Task<Session> RegisterInSlotAsync(Deadline deadline)
    {
        try
        {
            return new Session(await _register(deadline).ConfigureAwait(false));
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }
}
