namespace KvRaft.LocalCluster;

/// <summary>Limits of a <see cref="LinkRelay"/>.</summary>
public sealed record RelayOptions
{
    /// <summary>Bytes a relay reads from one side of a connection before it has written them to the other: its whole buffer, per direction.</summary>
    public int BufferBytes { get; init; } = 64 * 1024;

    /// <summary>Connections a relay carries at once; further ones are closed as soon as accepted.</summary>
    public int ConnectionsMax { get; init; } = 8;

    /// <summary>How long a relay tries to reach its target before it closes the connection it accepted.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Kernel send and receive buffer size of the relay's sockets; null keeps the system's.</summary>
    public int? SocketBufferBytes { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferBytes, 1024, nameof(BufferBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectionsMax, 1, nameof(ConnectionsMax));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        if (SocketBufferBytes is { } bytes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1024, nameof(SocketBufferBytes));
        }
    }
}

/// <summary>Counters of a relay (or of every relay of a <see cref="RelayNetwork"/>).</summary>
/// <param name="ConnectionsAccepted">Connections accepted and relayed.</param>
/// <param name="ConnectionsRefused">Connections closed as soon as accepted: the link was cut both ways, or full.</param>
/// <param name="ConnectionsClosedByCut">Open connections closed when their link was cut both ways.</param>
/// <param name="FramesDropped">Frames dropped whole (a one-way cut, or a lossy link).</param>
/// <param name="Delays">Pieces of a stream held back before they were forwarded (a slow link).</param>
public readonly record struct RelayStatistics(long ConnectionsAccepted, long ConnectionsRefused, long ConnectionsClosedByCut, long FramesDropped, long Delays)
{
    /// <summary>The sum of two sets of counters.</summary>
    public static RelayStatistics operator +(RelayStatistics left, RelayStatistics right) => new(
        left.ConnectionsAccepted + right.ConnectionsAccepted,
        left.ConnectionsRefused + right.ConnectionsRefused,
        left.ConnectionsClosedByCut + right.ConnectionsClosedByCut,
        left.FramesDropped + right.FramesDropped,
        left.Delays + right.Delays);

    /// <summary>The sum of two sets of counters.</summary>
    public static RelayStatistics Add(RelayStatistics left, RelayStatistics right) => left + right;
}
