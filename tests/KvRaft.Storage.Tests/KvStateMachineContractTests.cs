// Goal: both state machines (FasterKV and the in-memory twin) give the same results; method: one test body, run on each.
using System.Text;

namespace KvRaft.Storage.Tests;

public abstract class KvStateMachineContractTests : IDisposable
{
    private protected readonly TempDir _dir = new();
    private long _nextIndex = 1;

    private protected abstract KvStateMachineBase Open(StorageLimits limits);

    public void Dispose() => _dir.Dispose();

    private protected static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private protected KvResult Apply(IKvStateMachine machine, KvCommand command)
    {
        var results = new List<KvResult>();
        machine.ApplyBatch([new KvApply(_nextIndex++, 1, command)], results);
        return Assert.Single(results);
    }

    [Fact]
    public void Put_get_delete_round_trip()
    {
        using var machine = Open(Small.Limits);
        Assert.Equal(KvStatus.Ok, Apply(machine, new KvCommand(KvOp.Put, B("a"), B("1"))).Status);
        var got = Apply(machine, new KvCommand(KvOp.Get, B("a")));
        Assert.Equal(B("1"), got.Value);
        Assert.Equal(KvStatus.Ok, Apply(machine, new KvCommand(KvOp.Delete, B("a"))).Status);
        Assert.Equal(KvStatus.NotFound, Apply(machine, new KvCommand(KvOp.Get, B("a"))).Status);
        Assert.Equal(KvStatus.NotFound, Apply(machine, new KvCommand(KvOp.Delete, B("a"))).Status);
        Assert.Null(machine.Get(B("a")));
    }

    [Fact]
    public void Append_creates_when_absent_and_extends_when_present()
    {
        using var machine = Open(Small.Limits);
        Assert.Equal(B("x"), Apply(machine, new KvCommand(KvOp.Append, B("k"), B("x"))).Value);
        Assert.Equal(B("xyz"), Apply(machine, new KvCommand(KvOp.Append, B("k"), B("yz"))).Value);
        Assert.Equal(B("xyz"), machine.Get(B("k")));
    }

    [Fact]
    public void Compare_and_set_swaps_only_on_match_and_reports_the_current_value()
    {
        using var machine = Open(Small.Limits);
        var create = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v1"), Expected: null));
        Assert.Equal(KvStatus.Swapped, create.Status);
        var again = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v9"), Expected: null));
        Assert.Equal(KvStatus.NotSwapped, again.Status);
        Assert.Equal(B("v1"), again.Value);
        var wrong = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v2"), Expected: B("nope")));
        Assert.Equal(KvStatus.NotSwapped, wrong.Status);
        Assert.Equal(B("v1"), wrong.Value);
        var right = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v2"), Expected: B("v1")));
        Assert.Equal(KvStatus.Swapped, right.Status);
        Assert.Equal(B("v2"), right.Value);
        var absent = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("none"), B("v"), Expected: B("v")));
        Assert.Equal(KvStatus.NotSwapped, absent.Status);
        Assert.Equal((byte[]?)null, absent.Value);
    }

    [Fact]
    public void A_retried_request_gets_the_first_result_and_is_not_applied_twice()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        var first = Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1));
        var retry = Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1));
        Assert.True(retry.Duplicate);
        Assert.Equal(first.Value, retry.Value);
        Assert.Equal(B("a"), machine.Get(B("k")));
        Assert.Equal(KvStatus.StaleSequence, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("z"), ClientId: 7, Sequence: 0)).Status);
        Assert.True(machine.TryGetSession(7, out var sequence));
        Assert.Equal(1, sequence);
    }

    [Fact]
    public void Sequence_zero_on_a_fresh_session_is_stale_not_a_duplicate_of_the_registration()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        var zero = Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 0));
        Assert.Equal(KvStatus.StaleSequence, zero.Status);
        Assert.False(zero.Duplicate);
        Assert.Null(machine.Get(B("k")));
    }

    [Fact]
    public void The_last_sequence_with_another_command_is_refused_and_the_same_command_is_a_duplicate()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        var swapped = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v"), null, ClientId: 7, Sequence: 1));
        Assert.Equal(KvStatus.Swapped, swapped.Status);
        KvCommand[] others =
        [
            new(KvOp.CompareAndSet, B("k"), B("v"), B(""), ClientId: 7, Sequence: 1), // expects "" rather than absent
            new(KvOp.CompareAndSet, B("k"), B("w"), null, ClientId: 7, Sequence: 1),
            new(KvOp.CompareAndSet, B("j"), B("v"), null, ClientId: 7, Sequence: 1),
            new(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 1),
        ];
        Assert.All(others, other => Assert.Equal(KvStatus.SequenceReused, Apply(machine, other).Status));
        Assert.Null(machine.Get(B("j")));
        var retry = Apply(machine, new KvCommand(KvOp.CompareAndSet, B("k"), B("v"), null, ClientId: 7, Sequence: 1));
        Assert.True(retry.Duplicate);
        Assert.Equal(swapped.Status, retry.Status);
        Assert.Equal(swapped.Value, retry.Value);
    }

    [Fact]
    public void Registering_a_live_session_id_again_is_refused_and_keeps_that_session()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1));
        Assert.Equal(KvStatus.SessionIdTaken, Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7)).Status);
        Assert.True(Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1)).Duplicate);
        Assert.Equal(B("a"), machine.Get(B("k")));
    }

    [Fact]
    public void A_command_of_an_unknown_or_expired_session_is_refused_and_not_applied()
    {
        using var machine = Open(Small.Limits with { SessionMaxCount = 1 });
        Assert.Equal(KvStatus.SessionExpired, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 9, Sequence: 1)).Status);
        Assert.Null(machine.Get(B("k")));
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 1));
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 2)); // expires session 1
        Assert.Equal(KvStatus.SessionExpired, Apply(machine, new KvCommand(KvOp.Append, B("k"), B("x"), ClientId: 1, Sequence: 1)).Status);
        Assert.Null(machine.Get(B("k")));
    }

    [Fact]
    public void Commands_of_one_entry_share_its_index_within_a_batch()
    {
        using var machine = Open(Small.Limits);
        var results = new List<KvResult>();
        machine.ApplyBatch([
            new KvApply(1, 1, new KvCommand(KvOp.Put, B("a"), B("1"))),
            new KvApply(1, 1, new KvCommand(KvOp.Append, B("a"), B("2"))),
            new KvApply(2, 1, new KvCommand(KvOp.Noop, default))], results);
        Assert.Equal(3, results.Count);
        Assert.Equal(B("12"), machine.Get(B("a")));
        Assert.Equal(2, machine.AppliedIndex);
    }

    [Fact]
    public void Sessions_beyond_the_limit_expire_least_recently_used_by_log_index()
    {
        using var machine = Open(Small.Limits with { SessionMaxCount = 3 });
        for (long client = 1; client <= 3; client++)
        {
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: client));
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: client, Sequence: 1));
        }
        Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 1, Sequence: 2));
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 4));
        Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 4, Sequence: 1));
        Assert.Equal(3, machine.SessionCount);
        Assert.False(machine.TryGetSession(2, out _));
        Assert.True(machine.TryGetSession(1, out _));
        Assert.True(machine.TryGetSession(4, out _));
    }

    [Fact]
    public void A_batch_returns_one_result_per_entry_and_advances_the_applied_position()
    {
        using var machine = Open(Small.Limits);
        var batch = new KvApply[100];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = new KvApply(i + 1, 2, new KvCommand(KvOp.Put, B("k" + i), B("v" + i)));
        }
        batch[50] = new KvApply(51, 2, new KvCommand(KvOp.Noop, default));
        var results = new List<KvResult>();
        machine.ApplyBatch(batch, results);
        Assert.Equal(100, results.Count);
        Assert.Equal((100L, 2L), (machine.AppliedIndex, machine.AppliedTerm));
        Assert.Equal(B("v99"), machine.Get(B("k99")));
    }

    [Fact]
    public async Task A_snapshot_read_out_in_chunks_installs_elsewhere_with_the_same_data()
    {
        using var source = Open(Small.Limits);
        var batch = Enumerable.Range(1, 2000).Select(i => new KvApply(i, 3,
            i <= 4 ? new KvCommand(KvOp.RegisterSession, default, ClientId: i)
                : new KvCommand(i % 10 == 0 ? KvOp.Delete : KvOp.Put, B("k" + (i % 1500)), B("value-" + i), ClientId: i % 5, Sequence: i))).ToArray();
        source.ApplyBatch(batch, []);
        var info = await source.TakeSnapshotAsync(B("config-A"));
        Assert.Equal((2000L, 3L), (info.Index, info.Term));
        using var target = OpenOther(Small.Limits);
        using (var installer = new SnapshotInstaller(target, _dir.Sub("staging")))
        {
            using var reader = source.LatestSnapshot!.OpenSnapshotReader();
            var chunks = 0;
            while (reader.TryReadNext(out var chunk))
            {
                Assert.True(chunk.Data.Length <= Small.Limits.SnapshotChunkBytes);
                installer.Accept(chunk);
                chunks++;
            }
            Assert.True(chunks > 1);
            installer.Complete();
        }
        Assert.Equal((2000L, 3L), (target.AppliedIndex, target.AppliedTerm));
        Assert.Equal(B("config-A"), target.Configuration);
        Assert.Equal(source.SessionCount, target.SessionCount);
        for (var k = 0; k < 1500; k++)
        {
            Assert.Equal(source.Get(B("k" + k)), target.Get(B("k" + k)));
        }
    }

    [Fact]
    public async Task A_corrupted_chunk_is_refused_and_nothing_is_replaced()
    {
        using var source = Open(Small.Limits);
        source.ApplyBatch(Enumerable.Range(1, 500).Select(i => new KvApply(i, 1, new KvCommand(KvOp.Put, B("k" + i), B("v" + i)))).ToArray(), []);
        await source.TakeSnapshotAsync([]);
        using var target = OpenOther(Small.Limits);
        target.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Put, B("mine"), B("kept")))], []);
        using (var installer = new SnapshotInstaller(target, _dir.Sub("staging")))
        {
            using var reader = source.LatestSnapshot!.OpenSnapshotReader();
            Assert.True(reader.TryReadNext(out var chunk));
            var damaged = chunk.Data.ToArray();
            damaged[damaged.Length / 2] ^= 1;
            Assert.Throws<StorageCorruptException>(() => installer.Accept(chunk with { Data = damaged }));
        }
        using (var installer = new SnapshotInstaller(target, _dir.Sub("staging")))
        {
            // A chunk damaged with a matching chunk CRC still fails the whole-file check before replacing anything.
            using var reader = source.LatestSnapshot!.OpenSnapshotReader();
            var first = true;
            while (reader.TryReadNext(out var chunk))
            {
                var data = chunk.Data.ToArray();
                if (first)
                {
                    data[^1] ^= 1;
                    first = false;
                }
                installer.Accept(chunk with { Data = data, Crc = Crc32C.Compute(data) });
            }
            Assert.Throws<StorageCorruptException>(() => installer.Complete());
        }
        Assert.Equal(B("kept"), target.Get(B("mine")));
        Assert.Null(target.Get(B("k1")));
        Assert.Equal(1, target.AppliedIndex);
    }

    private protected abstract KvStateMachineBase OpenOther(StorageLimits limits);
}

public sealed class MemoryKvStateMachineTests : KvStateMachineContractTests
{
    private protected override KvStateMachineBase Open(StorageLimits limits) => new MemoryKvStateMachine(limits);

    private protected override KvStateMachineBase OpenOther(StorageLimits limits) => new MemoryKvStateMachine(limits);
}

public sealed class FasterKvStateMachineTests : KvStateMachineContractTests
{
    private protected override KvStateMachineBase Open(StorageLimits limits) => FasterKvStateMachine.Open(_dir.Sub("sm"), limits);

    private protected override KvStateMachineBase OpenOther(StorageLimits limits) => FasterKvStateMachine.Open(_dir.Sub("other"), limits);

    [Fact]
    public async Task A_snapshot_holds_the_latest_version_of_each_live_key_only_and_installs_the_same_state()
    {
        // 20 keys appended to 100 times each, 5 of them deleted, over several snapshots (each fold-over makes the
        // next write a new record version): the file must hold 15 data records, not every version.
        var index = 1L;
        using var machine = Open(Small.Limits);
        for (var round = 0; round < 100; round++)
        {
            var batch = Enumerable.Range(0, 20).Select(k => new KvApply(index++, 1,
                new KvCommand(KvOp.Append, Encoding.UTF8.GetBytes("k" + k), Encoding.UTF8.GetBytes("x" + round)))).ToArray();
            machine.ApplyBatch(batch, []);
            if (round % 25 == 24)
            {
                await machine.TakeSnapshotAsync([]);
            }
        }
        machine.ApplyBatch(Enumerable.Range(0, 5).Select(k => new KvApply(index++, 1, new KvCommand(KvOp.Delete, Encoding.UTF8.GetBytes("k" + k)))).ToArray(), []);
        var info = await machine.TakeSnapshotAsync([]);
        var file = SnapshotFile.Verify(Path.Combine(_dir.Sub("sm"), "snapshots", "snapshot.kvs"));
        var records = file.ReadRecords().ToList();
        var userKeys = records.Where(r => r.Key[0] == 0x00).ToList();
        Assert.Equal(15, userKeys.Count);
        Assert.All(userKeys, r => Assert.NotNull(r.Value));
        Assert.Equal(records.Count, records.Select(r => Convert.ToHexString(r.Key)).Distinct().Count());

        using var other = OpenOther(Small.Limits);
        using (var installer = new SnapshotInstaller(other, _dir.Sub("staging")))
        {
            using var reader = machine.LatestSnapshot!.OpenSnapshotReader();
            while (reader.TryReadNext(out var chunk))
            {
                installer.Accept(chunk);
            }
            installer.Complete();
        }
        Assert.Equal((info.Index, info.Term), (other.AppliedIndex, other.AppliedTerm));
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(machine.Get(Encoding.UTF8.GetBytes("k" + k)), other.Get(Encoding.UTF8.GetBytes("k" + k)));
        }
        Assert.Null(other.Get("k0"u8));
        Assert.Equal(290, other.Get("k19"u8)!.Length); // "x0".."x99": 10 two-byte and 90 three-byte appends
    }

    [Fact]
    public async Task A_snapshot_checkpoint_recovers_data_sessions_and_applied_position_after_reopen()
    {
        var batch = Enumerable.Range(1, 3000).Select(i => new KvApply(i, 4,
            i <= 9 ? new KvCommand(KvOp.RegisterSession, default, ClientId: i)
                : new KvCommand(KvOp.Append, Encoding.UTF8.GetBytes("k" + (i % 700)), Encoding.UTF8.GetBytes("x"), ClientId: 1 + i % 9, Sequence: i))).ToArray();
        byte[]? expected;
        using (var machine = Open(Small.Limits))
        {
            machine.ApplyBatch(batch, []);
            await machine.TakeSnapshotAsync([9, 9]);
            expected = machine.Get("k5"u8);
            // Applied after the checkpoint: not recovered (the Raft log replays it).
            machine.ApplyBatch([new KvApply(3001, 4, new KvCommand(KvOp.Put, "late"u8.ToArray(), "v"u8.ToArray()))], []);
        }
        using var reopened = Open(Small.Limits);
        Assert.Equal((3000L, 4L), (reopened.AppliedIndex, reopened.AppliedTerm));
        Assert.Equal(new byte[] { 9, 9 }, reopened.Configuration);
        Assert.Equal(9, reopened.SessionCount);
        Assert.Equal(expected, reopened.Get("k5"u8));
        Assert.Null(reopened.Get("late"u8));
        Assert.Equal(3000, reopened.LatestSnapshot!.Info.Index);
    }

    [Fact]
    public async Task Sessions_with_their_last_command_digest_survive_a_snapshot_and_reopen()
    {
        using (var machine = Open(Small.Limits))
        {
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 3));
            await machine.TakeSnapshotAsync([]);
        }
        using var reopened = Open(Small.Limits);
        Assert.Equal(KvStatus.SequenceReused, Apply(reopened, new KvCommand(KvOp.Put, B("k"), B("w"), ClientId: 7, Sequence: 3)).Status);
        Assert.True(Apply(reopened, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 3)).Duplicate);
    }

    [Fact]
    public async Task A_snapshot_holds_each_live_session_as_of_its_index_and_no_expired_one()
    {
        using (var machine = Open(Small.Limits with { SessionMaxCount = 2 }))
        {
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 1));
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v1"), ClientId: 1, Sequence: 1));
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 2));
            await machine.TakeSnapshotAsync([1]); // sessions 1 (sequence 1) and 2 in the store
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v2"), ClientId: 2, Sequence: 7));
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 3)); // session 1 expires
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v3"), ClientId: 3, Sequence: 4));
            await machine.TakeSnapshotAsync([2]);
        }
        using var reopened = Open(Small.Limits with { SessionMaxCount = 2 });
        Assert.Equal(2, reopened.SessionCount);
        Assert.False(reopened.TryGetSession(1, out _));
        Assert.True(reopened.TryGetSession(2, out var second));
        Assert.Equal(7, second);
        Assert.True(reopened.TryGetSession(3, out var third));
        Assert.Equal(4, third);
        var results = new List<KvResult>();
        reopened.ApplyBatch([new KvApply(reopened.AppliedIndex + 1, 1, new KvCommand(KvOp.Put, B("k"), B("v2"), ClientId: 2, Sequence: 7))], results);
        Assert.True(results[0].Duplicate); // deduplicated after the restart: not applied twice
        Assert.Equal(B("v3"), reopened.Get(B("k")));
    }

    [Fact]
    public void A_write_from_another_identity_is_refused_changes_nothing_and_gets_no_duplicate_answer()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7, Identity: 11));
        Assert.Equal(KvStatus.SessionNotOwned, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("theirs"), ClientId: 7, Sequence: 1, Identity: 22)).Status);
        Assert.Equal(KvStatus.SessionNotOwned, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("theirs"), ClientId: 7, Sequence: 1)).Status);
        Assert.Null(machine.Get(B("k")));
        Assert.True(machine.TryGetSession(7, out var untouched));
        Assert.Equal(0, untouched);
        var owner = Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1, Identity: 11));
        Assert.Equal(KvStatus.Ok, owner.Status);
        var replay = Apply(machine, new KvCommand(KvOp.Append, B("k"), B("a"), ClientId: 7, Sequence: 1, Identity: 22));
        Assert.Equal(KvStatus.SessionNotOwned, replay.Status); // not the owner's stored answer
        Assert.False(replay.Duplicate);
        Assert.Equal(B("a"), machine.Get(B("k")));
    }

    [Fact]
    public void A_session_registered_without_identity_refuses_writes_that_carry_one()
    {
        using var machine = Open(Small.Limits);
        Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7));
        Assert.Equal(KvStatus.SessionNotOwned, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 1, Identity: 5)).Status);
        Assert.Equal(KvStatus.Ok, Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 1)).Status);
    }

    [Fact]
    public async Task Sessions_keep_their_identity_through_a_snapshot_its_install_elsewhere_and_a_reopen()
    {
        using (var machine = Open(Small.Limits))
        {
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 7, Identity: 11));
            Apply(machine, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 1, Identity: 11));
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 8, Identity: 11));
            await machine.TakeSnapshotAsync([]);
            using var target = OpenOther(Small.Limits);
            using (var installer = new SnapshotInstaller(target, _dir.Sub("staging")))
            {
                using var reader = machine.LatestSnapshot!.OpenSnapshotReader();
                while (reader.TryReadNext(out var chunk))
                {
                    installer.Accept(chunk);
                }
                installer.Complete();
            }
            AssertOwnedBy11(target);
        }
        using var reopened = Open(Small.Limits);
        AssertOwnedBy11(reopened);

        void AssertOwnedBy11(KvStateMachineBase restored)
        {
            Assert.Equal(2, restored.SessionsOf(11));
            var next = restored.AppliedIndex + 1;
            var results = new List<KvResult>();
            restored.ApplyBatch([
                new KvApply(next, 1, new KvCommand(KvOp.Put, B("k"), B("w"), ClientId: 7, Sequence: 2, Identity: 22)),
                new KvApply(next + 1, 1, new KvCommand(KvOp.Put, B("k"), B("v"), ClientId: 7, Sequence: 1, Identity: 11))], results);
            Assert.Equal(KvStatus.SessionNotOwned, results[0].Status);
            Assert.True(results[1].Duplicate);
            Assert.Equal(B("v"), restored.Get(B("k")));
        }
    }

    [Fact]
    public async Task An_identity_holds_at_most_its_quota_of_live_sessions_and_regains_room_as_they_expire()
    {
        var limits = Small.Limits with { SessionMaxCount = 4, SessionsPerIdentityMax = 2 };
        using (var machine = Open(limits))
        {
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 1, Identity: 5));
            Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 2, Identity: 5));
            Assert.Equal(KvStatus.TooManySessions, Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 3, Identity: 5)).Status);
            Assert.False(machine.TryGetSession(3, out _));
            Assert.Equal(2, machine.SessionsOf(5));
            Assert.Equal(KvStatus.Ok, Apply(machine, new KvCommand(KvOp.RegisterSession, default, ClientId: 4, Identity: 6)).Status);
            await machine.TakeSnapshotAsync([]);
        }
        using var reopened = Open(limits);
        Assert.Equal(2, reopened.SessionsOf(5)); // the count is rebuilt from the sessions' records
        Assert.Equal(KvStatus.TooManySessions, Apply(reopened, new KvCommand(KvOp.RegisterSession, default, ClientId: 3, Identity: 5)).Status);
        // Identity 0 (clients not authenticated) has no quota; these registrations fill the table and evict 5's sessions.
        for (long client = 10; client < 13; client++)
        {
            Assert.Equal(KvStatus.Ok, Apply(reopened, new KvCommand(KvOp.RegisterSession, default, ClientId: client)).Status);
        }
        Assert.Equal(0, reopened.SessionsOf(5));
        Assert.Equal(KvStatus.Ok, Apply(reopened, new KvCommand(KvOp.RegisterSession, default, ClientId: 3, Identity: 5)).Status);
    }

    [Fact]
    public void A_session_record_of_the_format_before_identities_reads_as_identity_zero()
    {
        var old = new byte[26 + 2];
        old[24] = (byte)KvStatus.Ok;
        old[25] = 1; // a value follows, no identity flag
        old[26] = 0xAB;
        old[27] = 0xCD;
        var state = SessionState.Decode(old);
        Assert.Equal(0, state.Identity);
        Assert.Equal(new byte[] { 0xAB, 0xCD }, state.LastResult.Value);
        var owned = state with { Identity = -3 };
        var encoded = owned.Encode(new byte[owned.EncodedBytes]).ToArray();
        Assert.Equal(owned.Identity, SessionState.Decode(encoded).Identity);
        Assert.Equal(owned.LastResult.Value, SessionState.Decode(encoded).LastResult.Value);
        old[25] = 4; // an unknown flag
        Assert.Throws<StorageCorruptException>(() => SessionState.Decode(old));
    }
}
