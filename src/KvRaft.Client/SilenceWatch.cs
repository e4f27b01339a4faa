namespace KvRaft.Client;

/// <summary>What a silence check found on a connection.</summary>
internal enum Quiet
{
    /// <summary>Something was received since the last check, or nothing waits for an answer.</summary>
    None,

    /// <summary>Requests have waited through <see cref="SilenceWatch.SuspectChecks"/> checks or more without a receive: ask around who leads.</summary>
    Suspect,

    /// <summary>Requests have waited through <see cref="SilenceWatch.ChecksMax"/> checks without a receive: give the connection up.</summary>
    Silent,
}

/// <summary>
/// Decides when a connection has gone quiet: requests await answers and nothing has been received over
/// <see cref="SuspectChecks"/> checks in a row (suspect: the client asks the other servers whether another one leads now),
/// then over <see cref="ChecksMax"/> (silent: closed). Fed by a timer (one per connection, nothing per request): a server
/// that is paused, hung or cut off without a reset keeps its TCP connection up, and without this every request sent to
/// it would wait for its whole deadline although another server could answer it (a paused leader's cluster elects
/// another in well under a second). Not thread-safe: one timer callback at a time.
/// </summary>
internal sealed class SilenceWatch(int checksMax, int suspectChecks)
{
    private long _receivesSeen = -1;
    private int _quietChecks;

    /// <summary>Checks in a row without a receive while requests waited, after which the connection is silent.</summary>
    public int ChecksMax { get; } = checksMax;

    /// <summary>Checks in a row without a receive while requests waited, after which the connection is suspect (fewer than <see cref="ChecksMax"/>).</summary>
    public int SuspectChecks { get; } = suspectChecks;

    /// <summary>One check: <paramref name="receives"/> counts the reads so far, <paramref name="pending"/> the requests awaiting answers.</summary>
    public Quiet Check(long receives, int pending)
    {
        if (pending == 0 || receives != _receivesSeen)
        {
            _receivesSeen = receives;
            _quietChecks = 0;
            return Quiet.None;
        }
        ++_quietChecks;
        return _quietChecks >= ChecksMax ? Quiet.Silent : _quietChecks >= SuspectChecks ? Quiet.Suspect : Quiet.None;
    }
}
