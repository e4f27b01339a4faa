// Goal: a node's own snapshot export and an install from a leader never corrupt each other: an install cancels an
// export in progress before the store goes, both write their own temporary file, and the latest snapshot (file and
// LatestSnapshot) never moves to a lower index; method: an export of a large store raced by an install of a newer
// snapshot on the FASTER state machine (whatever the interleaving, the claims must hold), and the publisher alone
// driven step by step through the one interleaving that matters (an install arriving while the export iterates).
namespace KvRaft.Storage.Tests;

public sealed class SnapshotRaceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] B(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task An_install_racing_an_own_export_leaves_the_installed_snapshot_latest_on_disk_and_after_reopen()
    {
        var source = new MemoryKvStateMachine(Small.Limits);
        source.ApplyBatch(Enumerable.Range(1, 30_000).Select(i => new KvApply(i, 2, new KvCommand(KvOp.Put, B("s" + (i % 50)), B("v" + i)))).ToArray(), []);
        await source.TakeSnapshotAsync(B("installed"));
        var root = _dir.Sub("sm");
        using (var machine = FasterKvStateMachine.Open(root, Small.Limits))
        {
            machine.ApplyBatch(Enumerable.Range(1, 20_000).Select(i => new KvApply(i, 1, new KvCommand(KvOp.Put, B("k" + i), new byte[100]))).ToArray(), []);
            var export = machine.TakeSnapshotAsync(B("exported")).AsTask();
            using (var installer = new SnapshotInstaller(machine, _dir.Sub("staging")))
            {
                using var reader = source.LatestSnapshot!.OpenSnapshotReader();
                while (reader.TryReadNext(out var chunk))
                {
                    installer.Accept(chunk);
                }
                installer.Complete();
            }
            var failure = await Record.ExceptionAsync(() => export);
            Assert.True(failure is null or SnapshotSupersededException, $"the export failed with {failure}");
            Assert.Equal(30_000, machine.LatestSnapshot!.Info.Index);
            Assert.Equal(30_000, SnapshotFile.Verify(Path.Combine(root, "snapshots", "snapshot.kvs")).Info.Index);
        }
        using var reopened = FasterKvStateMachine.Open(root, Small.Limits);
        Assert.Equal(30_000, reopened.AppliedIndex);
        Assert.Equal(30_000, reopened.LatestSnapshot!.Info.Index);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "snapshots"), "*.tmp"));
    }

    [Fact]
    public async Task An_install_while_an_export_iterates_stops_it_before_the_store_goes_and_an_older_export_is_refused_after()
    {
        var staged = _dir.Sub("staged.kvs");
        using (var output = File.Create(staged))
        {
            SnapshotFile.Write(output, new SnapshotInfo(100, 2, B("installed")), [new SnapshotRecord(B("k"), B("v"))], 4096);
        }
        var installed = SnapshotFile.Verify(staged);
        var publisher = new SnapshotPublisher(LocalFileSystem.Instance, _dir.Sub("snapshots"), 4096);
        var ticket = publisher.BeginExport();
        using var started = new ManualResetEventSlim();
        var iterating = 1;
        IEnumerable<SnapshotRecord> Records()
        {
            try
            {
                for (var i = 0; i < 1000; i++)
                {
                    if (i == 10)
                    {
                        started.Set();
                        // The install arrives here, while the export reads the store (bounded: fails the test if it never does).
                        Assert.True(SpinWait.SpinUntil(() => ticket.Cancelled, TimeSpan.FromMinutes(1)));
                    }
                    yield return new SnapshotRecord(B("old" + i), B("value"));
                }
            }
            finally
            {
                Volatile.Write(ref iterating, 0);
            }
        }
        var export = Task.Run(() => publisher.TryPublishExport(ticket, new SnapshotInfo(50, 1, []), Records()));
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)));
        var iteratingWhenReplaced = -1;
        publisher.Install(installed, () => iteratingWhenReplaced = Volatile.Read(ref iterating));

        Assert.Equal(0, iteratingWhenReplaced); // the store went only once the export had stopped reading it
        Assert.False(await export);
        Assert.Equal(100, publisher.Latest!.Info.Index);
        Assert.Equal(100, SnapshotFile.Verify(publisher.SnapshotPath).Info.Index);
        Assert.False(publisher.TryPublishExport(publisher.BeginExport(), new SnapshotInfo(60, 1, []), [])); // older than the latest
        Assert.Equal(100, publisher.Latest!.Info.Index);
        Assert.Equal(100, new SnapshotPublisher(LocalFileSystem.Instance, _dir.Sub("snapshots"), 4096).Latest!.Info.Index);
        Assert.Empty(Directory.GetFiles(_dir.Sub("snapshots"), "*.tmp"));
    }
}
