// Goal: writing zeros ahead of the Raft log's tail never touches data, never lets a write overtake a fill, and leaves logs that reopen exactly; method: a recording inner device with gated fills, and real logs reopened again and again.
using System.Runtime.InteropServices;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage.Tests;

public sealed class FillAheadTests : IDisposable
{
    private const long SegmentBytes = 1 << 20;
    private const long AheadBytes = 64 << 10; // chunks of 8 KiB
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string BasePath => _dir.Sub("raft.log");

    [Fact]
    public async Task A_write_reaching_into_a_fill_in_flight_is_issued_only_when_the_fill_ends_and_writes_below_it_go_at_once()
    {
        var fills = new GatedFills();
        using var inner = new RecordingDevice();
        using var device = new FillAheadDevice(inner, BasePath, AheadBytes, new RecordingLogger(), fills.Extend);
        device.Initialize(SegmentBytes);
        using var buffer = new AlignedBuffer(4096);

        await Write(device, buffer, 0, 4096);
        var first = Assert.Single(fills.Calls);
        Assert.Equal((BasePath + ".0", 4096L, 4096L + 8192), (first.Path, first.From, first.To));

        var overtaking = Write(device, buffer, 4096, 4096); // reaches into [4096, 12288) while it is filled
        Assert.Single(inner.Writes);
        Assert.False(overtaking.IsCompleted);

        fills.ReleaseOldest();
        await overtaking;
        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal(2, fills.Calls.Count); // the next chunk, [12288, 20480), is in flight now
        Assert.Equal(12288, fills.Calls[1].From);

        await Write(device, buffer, 0, 4096); // a rewrite below the fill
        await Write(device, buffer, 8192, 4096); // up to the fill's start
        Assert.Equal(4, inner.Writes.Count);
        fills.Open();
    }

    [Fact]
    public async Task Filling_starts_at_the_end_of_what_a_segment_file_already_holds_and_never_writes_below_it()
    {
        var held = Enumerable.Repeat((byte)0xAB, 20_000).ToArray();
        File.WriteAllBytes(BasePath + ".0", held);
        var fills = new GatedFills();
        using var inner = new RecordingDevice();
        using (var device = new FillAheadDevice(inner, BasePath, AheadBytes, new RecordingLogger(), fills.Extend))
        {
            device.Initialize(SegmentBytes);
            using var buffer = new AlignedBuffer(4096);
            await Write(device, buffer, 0, 4096);
            Assert.Equal(20_000, Assert.Single(fills.Calls).From);
            fills.Open();
        }

        await FillAheadDevice.ExtendWithZerosAsync(BasePath + ".0", 4096, 30_000);
        await FillAheadDevice.ExtendWithZerosAsync(BasePath + ".0", 0, 10_000); // below the length: nothing
        var bytes = File.ReadAllBytes(BasePath + ".0");
        Assert.Equal(30_000, bytes.Length);
        Assert.Equal(held, bytes[..20_000]);
        Assert.All(bytes[20_000..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task A_failing_fill_is_logged_once_and_writes_go_on_without_filling()
    {
        var calls = 0;
        var logger = new RecordingLogger();
        using var inner = new RecordingDevice();
        using var device = new FillAheadDevice(inner, BasePath, AheadBytes, logger, (_, _, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromException(new IOException("No space left on device"));
        });
        device.Initialize(SegmentBytes);
        using var buffer = new AlignedBuffer(4096);
        await Write(device, buffer, 0, 4096);
        await Write(device, buffer, 4096, 4096); // reaches into the fill: issued once it failed
        for (ulong offset = 8192; offset < 200_000; offset += 4096)
        {
            await Write(device, buffer, offset, 4096);
        }
        Assert.Equal(1, calls);
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("writing ahead of the tail failed"));
        Assert.Equal(49, inner.Writes.Count);
    }

    [Fact]
    public async Task A_log_written_across_filled_segments_reopens_after_every_batch_with_exactly_its_entries()
    {
        var limits = Small.Limits with { LogFillAheadBytes = 256 << 10 }; // fills run a quarter segment ahead, into the next one
        var path = _dir.Sub("log");
        long last = 0;
        for (var batch = 0; batch < 24; batch++)
        {
            using var store = FasterRaftLogStore.Open(path, limits);
            Assert.Equal(last, store.LastIndex);
            store.Append(Small.Entries(last + 1, last + 120, 1 + batch / 8, 1000), new HardState(1 + batch / 8, 1, last));
            await store.CommitAsync();
            last += 120;
        }
        using (var store = FasterRaftLogStore.Open(path, limits))
        {
            var read = new List<LogEntry>();
            store.Read(1, last + 1, long.MaxValue, read);
            Assert.Equal(last, read.Count);
            for (var i = 0; i < read.Count; i++)
            {
                Small.AssertEntry(Small.Entry(i + 1, 1 + i / 960, 1000), read[i]);
            }
            Assert.Equal(new HardState(3, 1, last - 120), store.HardState);
            var (file, offset) = store.LocateEntry(last);
            Assert.True(new FileInfo(file).Length > offset + 1000 || File.Exists(NextSegment(file)), "no zeros were written ahead of the tail");
        }
        Assert.True(Directory.GetFiles(path, "raft.log.*").Length >= 3, "the log crossed no segment boundary");
    }

    private static string NextSegment(string file)
    {
        var dot = file.LastIndexOf('.');
        return file[..(dot + 1)] + (int.Parse(file[(dot + 1)..]) + 1);
    }

    private static Task Write(FillAheadDevice device, AlignedBuffer buffer, ulong offset, uint bytes)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.WriteAsync(buffer.Pointer, 0, offset, bytes, (error, _, _) =>
        {
            if (error == 0)
            {
                done.SetResult();
            }
            else
            {
                done.SetException(new IOException($"write failed: {error}"));
            }
        }, null!);
        return done.Task;
    }

    /// <summary>Fills that end only when the test releases them, each recorded.</summary>
    private sealed class GatedFills
    {
        private readonly Queue<TaskCompletionSource> _gates = new();
        private bool _open;

        public List<(string Path, long From, long To)> Calls { get; } = [];

        public Task Extend(string path, long from, long to)
        {
            lock (_gates)
            {
                Calls.Add((path, from, to));
                if (_open)
                {
                    return Task.CompletedTask;
                }

                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _gates.Enqueue(gate);
                return gate.Task;
            }
        }

        public void ReleaseOldest()
        {
            lock (_gates)
            {
                _gates.Dequeue().SetResult();
            }
        }

        /// <summary>Releases every fill in flight, and every later one ends at once (so that a dispose never waits).</summary>
        public void Open()
        {
            lock (_gates)
            {
                _open = true;
                while (_gates.TryDequeue(out var gate))
                {
                    gate.SetResult();
                }
            }
        }
    }

    private sealed class AlignedBuffer(int bytes) : IDisposable
    {
        public IntPtr Pointer { get; } = Marshal.AllocHGlobal(bytes); // the recording device never reads it

        public void Dispose() => Marshal.FreeHGlobal(Pointer);
    }

    /// <summary>An inner device that records each write and completes it at once, on the caller's thread.</summary>
    private sealed class RecordingDevice() : StorageDeviceBase("recording", 512, -1)
    {
        public List<(int Segment, ulong Offset, uint Bytes)> Writes { get; } = [];

        public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
        {
            lock (Writes)
            {
                Writes.Add((segmentId, destinationAddress, numBytesToWrite));
            }
            callback(0, numBytesToWrite, context);
        }

        public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
            callback(0, readLength, context);

        public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) => callback(result);

        public override void Dispose()
        {
        }
    }
}
