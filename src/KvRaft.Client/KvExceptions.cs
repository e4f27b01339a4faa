namespace KvRaft.Client;

/// <summary>Base of every error a <see cref="KvClient"/> operation reports about the store.</summary>
public abstract class KvException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected KvException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// The operation definitely did not take effect: it was refused before it could enter the log, or it
/// was never sent. Retrying it is safe.
/// </summary>
public class KvNotAppliedException : KvException
{
    /// <summary>Creates the exception.</summary>
    public KvNotAppliedException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// The operation may or may not have taken effect, and may still take effect later: its deadline
/// passed, it was cancelled, its connection was lost, or its session expired after the request may
/// have reached a leader. The client never re-applies such a write under another session.
/// </summary>
public sealed class KvOutcomeUnknownException : KvException
{
    /// <summary>Creates the exception.</summary>
    public KvOutcomeUnknownException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// An argument is invalid (empty key, key or value over the protocol limits, or refused by the
/// server). Checked on the client before anything is sent where possible; never applied.
/// </summary>
public class KvInvalidArgumentException : KvNotAppliedException
{
    /// <summary>Creates the exception.</summary>
    public KvInvalidArgumentException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// A key or value is too large: over <c>ProtocolLimits.KeyBytesMax</c> or <c>ValueBytesMax</c> (checked on the
/// client before anything is sent), or answered TooLarge by the server (a value an Append would grow past
/// ValueBytesMax, or a request over the server's limits). Never applied; retrying the same request cannot succeed.
/// </summary>
public sealed class KvTooLargeException : KvInvalidArgumentException
{
    /// <summary>Creates the exception.</summary>
    public KvTooLargeException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// No server could be reached, or none knew a leader, before the deadline, and nothing was sent
/// that might have been applied.
/// </summary>
public sealed class KvClusterUnavailableException : KvNotAppliedException
{
    /// <summary>Creates the exception.</summary>
    public KvClusterUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Maps the end of an operation to the <c>ok</c> field of the history format (shared/history-format.md).</summary>
public static class KvOutcome
{
    /// <summary>
    /// <c>true</c> when the operation completed (<paramref name="error"/> is null); <c>false</c> when it
    /// definitely did not take effect (<see cref="KvNotAppliedException"/> and its subclasses, or an
    /// <see cref="OperationCanceledException"/>, which the client throws only when nothing was sent);
    /// <c>null</c> (unknown) for anything else, <see cref="KvOutcomeUnknownException"/> included.
    /// </summary>
    public static bool? Classify(Exception? error) => error switch
    {
        null => true,
        KvNotAppliedException => false,
        OperationCanceledException => false,
        _ => null,
    };
}
