namespace KvRaft.Client;

/// <summary>Settings of a <see cref="KvClient"/>. Every value has a usable default.</summary>
public sealed record KvClientOptions
{
    /// <summary>How long opening a connection to one endpoint may take before the client tries the next one.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The default deadline of one call (all its retries included), used when a call passes no timeout.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most server sessions the client keeps, and so most writes it has in flight at once: each
    /// in-flight write holds one session (a session may have only one outstanding write). Further
    /// writes wait for a free session.
    /// </summary>
    public int SessionPoolSize { get; init; } = 1024;

    /// <summary>Shortest pause before a retry (the pause is jittered and doubles up to <see cref="RetryBackoffMax"/>).</summary>
    public TimeSpan RetryBackoffMin { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Longest pause before a retry.</summary>
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long a connection whose requests await answers may receive nothing before the client closes it and
    /// retries them on another server (same session and sequence: still applied once). After a fifth of it the client
    /// asks the other servers for their state, and moves at once to one that leads in the newest term they know. A paused, hung or cut-off
    /// server keeps its TCP connection up; without this a call sent to it would wait for its whole deadline while
    /// the rest of the cluster elects another leader. <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan ConnectionSilenceTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock of the silence checks and leader probes (tests put a fake one here).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Most requests awaiting an answer on one connection; further requests wait for a slot.</summary>
    public int MaxInFlightPerConnection { get; init; } = 4096;

    /// <summary>TLS for every connection (null: plain TCP, the default). See <see cref="KvClientTls.FromPemFiles"/>.</summary>
    public KvClientTls? Tls { get; init; }

    internal void Validate()
    {
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(OperationTimeout, nameof(OperationTimeout));
        Positive(RetryBackoffMin, nameof(RetryBackoffMin));
        if (RetryBackoffMax < RetryBackoffMin)
        {
            throw new ArgumentException("RetryBackoffMax must not be below RetryBackoffMin", nameof(RetryBackoffMax));
        }
        if (ConnectionSilenceTimeout != Timeout.InfiniteTimeSpan)
        {
            Positive(ConnectionSilenceTimeout, nameof(ConnectionSilenceTimeout));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionPoolSize, 1, nameof(SessionPoolSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlightPerConnection, 1, nameof(MaxInFlightPerConnection));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive");
        }
    }
}
