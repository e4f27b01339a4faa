// Goal: a failing, tearing or bit-flipping disk never makes the log acknowledge what it did not store; method: a FaultyDevice under FasterLog.
using FASTER.core;

namespace KvRaft.Storage.Tests;

public sealed class FailureInjectionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private FaultyDevice? _device;

    public void Dispose() => _dir.Dispose();

    private FasterRaftLogStore OpenFaulty() => FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits, null,
        path => _device = new FaultyDevice(Devices.CreateLogDevice(path, preallocateFile: false)));

    private FasterRaftLogStore OpenPlain() => FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits);

    [Theory]
    [InlineData((int)DeviceFault.FailWrites)]
    [InlineData((int)DeviceFault.TearNextWrite)]
    public async Task A_failed_write_faults_the_store_and_the_unacknowledged_entries_are_not_recovered(int fault)
    {
        using (var store = OpenFaulty())
        {
            store.Append(Small.Entries(1, 10, 1), new HardState(1, 1, 0));
            await store.CommitAsync();
            _device!.Fault = (DeviceFault)fault;
            store.Append(Small.Entries(11, 20, 1), new HardState(2, 1, 5));
            await Assert.ThrowsAsync<StorageFailedException>(() => store.CommitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(store.IsFaulted);
            Assert.Throws<StorageFailedException>(() => store.Append(Small.Entries(21, 21, 1), null));
            await Assert.ThrowsAsync<StorageFailedException>(() => store.CommitAsync().AsTask());
            _device.Fault = DeviceFault.None;
        }
        using var reopened = OpenPlain();
        Assert.Equal(10, reopened.LastIndex);
        Assert.Equal(new HardState(1, 1, 0), reopened.HardState);
    }

    [Fact]
    public async Task A_bit_flipped_on_disk_is_detected_on_reopen_never_served()
    {
        using (var store = OpenFaulty())
        {
            store.Append(Small.Entries(1, 10, 1, 500), null);
            await store.CommitAsync();
            _device!.Fault = DeviceFault.FlipBitInNextWrite;
            store.Append(Small.Entries(11, 12, 1, 500), null);
            await store.CommitAsync();
            store.Append(Small.Entries(13, 40, 1, 500), null);
            await store.CommitAsync();
        }
        var error = Record.Exception(() => OpenPlain().Dispose());
        if (error is null)
        {
            // The flipped bit landed in bytes no record covers (padding): every entry must still read back intact.
            using var reopened = OpenPlain();
            var list = new List<LogEntry>();
            reopened.Read(1, reopened.LastIndex + 1, long.MaxValue, list);
            foreach (var entry in list)
            {
                Small.AssertEntry(Small.Entry(entry.Index, 1, 500), entry);
            }
        }
        else
        {
            Assert.IsType<StorageCorruptException>(error);
        }
    }
}
