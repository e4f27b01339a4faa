// Goal: closing the log store with a commit in flight is not reported as a disk failure; method: race commits against Dispose, record log levels.
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage.Tests;

public sealed class StoreShutdownTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Closing_the_store_with_a_commit_in_flight_logs_no_error()
    {
        for (var round = 0; round < 20; round++)
        {
            var logger = new RecordingLogger();
            var store = FasterRaftLogStore.Open(_dir.Sub($"log{round}"), Small.Limits, logger);
            store.Append(Small.Entries(1, 200, 1, 256), null);
            var commit = store.CommitAsync().AsTask();
            store.Dispose();
            try
            {
                await commit;
            }
            catch (Exception error) when (error is StorageFailedException or ObjectDisposedException)
            {
                // The commit may fail once the store is closed: that is the caller's to see, not an error to log.
            }
            Assert.DoesNotContain(logger.Lines, line => line.Level >= LogLevel.Error);
        }
    }
}
