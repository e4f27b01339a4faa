using System.Buffers.Binary;
using System.Security.Cryptography;
using KvRaft.Protocol;

namespace KvRaft.Server.Node;

/// <summary>
/// Session registration at the leader: the id of a new session is chosen here, at random, and carried in the log
/// entry (every replica applies the same id; the state machine stays deterministic), and registrations are
/// rate-limited by a token bucket so that a flood of them cannot cycle the LRU session table and evict live sessions.
/// </summary>
public sealed partial class KvNode
{
    /// <summary>The answer to a registration over the rate limit.</summary>
    public const string RegistrationBusyMessage = "busy: too many session registrations, retry later";

    private readonly ISessionIdSource _sessionIds;

    // Registrations this leader may still propose now: at most SessionRegistrationBurst, refilled by
    // SessionRegistrationsPerTick every tick (as of _registrationTokensTick).
    private long _registrationTokens;
    private long _registrationTokensTick;

    /// <summary>Takes a registration token and gives <paramref name="command"/> a new random id; false when over the rate.</summary>
    private bool TryAssignSessionId(ref KvCommand command)
    {
        var elapsed = Math.Min(_tick - _registrationTokensTick, _limits.SessionRegistrationBurst);
        _registrationTokensTick = _tick;
        _registrationTokens = Math.Min(_limits.SessionRegistrationBurst, _registrationTokens + (elapsed * _limits.SessionRegistrationsPerTick));
        if (_registrationTokens == 0)
        {
            return false;
        }

        _registrationTokens--;
        var id = _sessionIds.NextId();
        Invariant.True(id != 0, "session ids are never 0");
        command = command with { ClientId = id };
        return true;
    }
}

/// <summary>Where a leader gets the ids of the sessions it registers: unpredictable 64-bit values, never 0.</summary>
public interface ISessionIdSource
{
    /// <summary>A new session id (not 0).</summary>
    ulong NextId();
}

/// <summary>Session ids from the operating system's cryptographic random number generator (production).</summary>
public sealed class RandomSessionIds : ISessionIdSource
{
    /// <summary>The one instance (it holds no state).</summary>
    public static RandomSessionIds Instance { get; } = new();

    private RandomSessionIds()
    {
    }

    /// <inheritdoc/>
    public ulong NextId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        while (id == 0);
        return id;
    }
}
