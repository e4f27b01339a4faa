// Goal: a snapshot from a peer is checked for what the layers above read back before it replaces anything: the shard
// states record and the extension records are collected as the install will load them (puts and deletes in order) and
// the target's extension checks them, its refusal refusing the snapshot with the staging file named; a session record
// that would not load refuses it too; the target keeps its state. Method: snapshot files written with SnapshotFile.Write
// (valid checksums, chosen records), installed through SnapshotInstaller into both state machines.
namespace KvRaft.Storage.Tests;

public sealed class SnapshotContentCheckTests : IDisposable
{
    private static readonly byte[] ExtensionKey = [KvKeys.ExtensionSpace, 1];
    private static readonly byte[] OtherExtensionKey = [KvKeys.ExtensionSpace, 2];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_staged_state_holds_the_shard_states_and_extension_records_the_install_loads()
    {
        var file = Snapshot(
            new SnapshotRecord(KvKeys.ShardStateKey, [1, 1, 1]),
            new SnapshotRecord(ExtensionKey, [7]),
            new SnapshotRecord(OtherExtensionKey, [8]),
            new SnapshotRecord(KvKeys.ShardStateKey, [2, 2]), // a later version of the record wins
            new SnapshotRecord(OtherExtensionKey, null)); // a delete removes it
        var extension = new CheckingExtension();
        using var target = new MemoryKvStateMachine(Small.Limits) { Extension = extension };
        using var installer = Stage(target, file);

        installer.Verify();

        Assert.Equal([2, 2], installer.Staged!.ShardState);
        Assert.Equal([7], extension.Checked!.Read([1]));
        Assert.Null(extension.Checked.Read([2]));
        installer.Complete();
        Assert.Equal([2, 2], target.ShardState);
        Assert.Equal([7], extension.Reloaded!.Read([1]));
    }

    [Fact]
    public void An_extension_that_refuses_the_staged_records_refuses_the_snapshot_and_nothing_is_replaced()
    {
        var file = Snapshot(new SnapshotRecord(ExtensionKey, [7]));
        foreach (var target in Targets())
        {
            using (target)
            {
                target.Extension = new CheckingExtension { Refusal = "configuration 2 has no record" };
                var error = Assert.Throws<StorageCorruptException>(() => Install(target, file));
                Assert.Contains("configuration 2 has no record", error.Message);
                Assert.Contains("incoming-", error.File); // the staging file is named
                AssertKept(target);
            }
        }
    }

    [Theory]
    [InlineData(9, 3)] // a session record cut short
    [InlineData(5, -1)] // a session key that is not 9 bytes
    public void A_snapshot_with_a_session_record_that_would_not_load_is_refused_and_nothing_is_replaced(int keyBytes, int valueBytes)
    {
        var key = new byte[keyBytes];
        key[0] = KvKeys.SessionSpace;
        var value = valueBytes >= 0 ? new byte[valueBytes] : WellFormedSession();
        var file = Snapshot(new SnapshotRecord(key, value));
        foreach (var target in Targets())
        {
            using (target)
            {
                var error = Assert.Throws<StorageCorruptException>(() => Install(target, file));
                Assert.Contains("holds a malformed session record", error.Message);
                AssertKept(target);
            }
        }
    }

    [Fact]
    public void A_snapshot_with_well_formed_sessions_and_records_installs()
    {
        var key = new byte[KvKeys.SessionKeyBytes];
        key[0] = KvKeys.SessionSpace;
        key[^1] = 5;
        var file = Snapshot(new SnapshotRecord(key, WellFormedSession()), new SnapshotRecord(ExtensionKey, [7]));
        foreach (var target in Targets())
        {
            using (target)
            {
                target.Extension = new CheckingExtension();
                Install(target, file);
                Assert.Null(target.Get("mine"u8)); // replaced by the snapshot's state
                Assert.Equal(1, target.SessionCount);
            }
        }
    }

    private static byte[] WellFormedSession()
    {
        var session = new SessionState(LastSequence: 3, LastIndex: 4, LastDigest: 5, new KvResult(KvStatus.Ok, null));
        var bytes = new byte[session.EncodedBytes];
        session.Encode(bytes);
        return bytes;
    }

    private KvStateMachineBase[] Targets()
    {
        KvStateMachineBase[] targets = [new MemoryKvStateMachine(Small.Limits), FasterKvStateMachine.Open(_dir.Sub("sm-" + Guid.NewGuid().ToString("N")), Small.Limits)];
        foreach (var target in targets)
        {
            target.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Put, "mine"u8.ToArray(), "kept"u8.ToArray()))], []);
        }
        return targets;
    }

    private static void AssertKept(KvStateMachineBase target)
    {
        Assert.Equal("kept"u8.ToArray(), target.Get("mine"u8));
        Assert.Equal(1, target.AppliedIndex);
    }

    private void Install(KvStateMachineBase target, byte[] file)
    {
        using var installer = Stage(target, file);
        installer.Complete();
    }

    private SnapshotInstaller Stage(KvStateMachineBase target, byte[] file)
    {
        var installer = new SnapshotInstaller(target, _dir.Sub("staging"));
        installer.Accept(new SnapshotChunk(0, file, Crc32C.Compute(file), Last: true));
        return installer;
    }

    /// <summary>A snapshot file at 9@2 holding <paramref name="records"/> in that order, its checksums valid.</summary>
    private static byte[] Snapshot(params SnapshotRecord[] records)
    {
        using var output = new MemoryStream();
        SnapshotFile.Write(output, new SnapshotInfo(9, 2, []), records, frameBytes: 64);
        return output.ToArray();
    }

    /// <summary>An extension that records the records it was given to check and to reload, and refuses when told to.</summary>
    private sealed class CheckingExtension : ICommandExtension
    {
        public string? Refusal { get; init; }

        public IExtensionRecords? Checked { get; private set; }

        public IExtensionRecords? Reloaded { get; private set; }

        public KvResult Execute(in KvCommand command, IExtensionRecords records) => new(KvStatus.Ok, null);

        public void Reload(IExtensionRecords records) => Reloaded = records;

        public void Check(IExtensionRecords records)
        {
            Checked = records;
            if (Refusal is not null)
            {
                throw new StorageCorruptException(Refusal);
            }
        }
    }
}
