namespace KvRaft.Client;

/// <summary>
/// Decides when a connection has gone silent: requests await answers and nothing has been received over
/// <see cref="ChecksMax"/> checks in a row. Fed by a timer (one per connection, nothing per request): a server that
/// is paused, hung or cut off without a reset keeps its TCP connection up, and without this every request sent
/// to it would wait for its whole deadline although another server could answer it (a paused leader's
/// cluster elects another in under a second). Not thread-safe: one timer callback at a time.
/// </summary>
internal sealed class SilenceWatch(int checksMax)
{
    private long _receivesSeen = -1;
    private int _quietChecks;

    /// <summary>Checks in a row without a receive while requests waited, after which the connection is silent.</summary>
    public int ChecksMax { get; } = checksMax;

    /// <summary>One check: <paramref name="receives"/> counts the reads so far, <paramref name="pending"/> the requests awaiting answers.</summary>
    public bool IsSilent(long receives, int pending)
    {
        if (pending == 0 || receives != _receivesSeen)
        {
            _receivesSeen = receives;
            _quietChecks = 0;
            return false;
        }
        return ++_quietChecks >= ChecksMax;
    }
}
