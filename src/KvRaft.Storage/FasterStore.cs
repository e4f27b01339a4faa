using System.Buffers;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// One FasterKV&lt;SpanByte, SpanByte&gt; in a folder with ONE long-lived client session: every read and write
/// of the state machine goes through that session (a whole batch is one pass of it).
/// </summary>
internal sealed unsafe class FasterStore : IDisposable
{
    private readonly FasterKVSettings<SpanByte, SpanByte> settings;
    private readonly FasterKV<SpanByte, SpanByte> store;
    private readonly ClientSession<SpanByte, SpanByte, SpanByte, ArrayBufferWriter<byte>, Empty, ValueCopyFunctions> session;
    private readonly ArrayBufferWriter<byte> readBuffer = new(); // every read copies its value here (reused: no allocation)

    public FasterStore(string directory, StorageLimits limits, bool recover)
    {
        settings = new FasterKVSettings<SpanByte, SpanByte>(directory, deleteDirOnDispose: false)
        {
            IndexSize = limits.KvIndexBuckets * 64,
            MemorySize = 1L << limits.KvMemoryBits,
            PageSize = 1L << limits.KvPageBits,
            SegmentSize = 1L << 30,
            TryRecoverLatest = recover,
            RemoveOutdatedCheckpoints = true,
        };
        store = new FasterKV<SpanByte, SpanByte>(settings);
        session = store.For(new ValueCopyFunctions()).NewSession<ValueCopyFunctions>();
    }

    /// <summary>A fresh copy of the value under <paramref name="key"/>, or null.</summary>
    public byte[]? Read(ReadOnlySpan<byte> key) => ReadIntoBuffer(key) ? readBuffer.WrittenSpan.ToArray() : null;

    /// <summary>Appends the value under <paramref name="key"/> to <paramref name="value"/>; false when absent. Allocates nothing.</summary>
    public bool TryRead(ReadOnlySpan<byte> key, IBufferWriter<byte> value)
    {
        if (!ReadIntoBuffer(key))
        {
            return false;
        }
        value.Write(readBuffer.WrittenSpan);
        return true;
    }

    private bool ReadIntoBuffer(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var output = readBuffer;
            output.ResetWrittenCount();
            var status = session.Read(ref keySpan, ref output);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    Invariant.True(outputs.Next());
                    status = outputs.Current.Status;
                }
            }
            return status.Found;
        }
    }

    public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key, v = value)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var valueSpan = SpanByte.FromPointer(v, value.Length);
            session.Upsert(ref keySpan, ref valueSpan);
        }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            session.Delete(ref keySpan);
        }
    }

    /// <summary>Every live (key, value) whose key starts with <paramref name="space"/>.</summary>
    public List<(byte[] Key, byte[] Value)> LiveRecords(byte space)
    {
        var found = new List<(byte[], byte[])>();
        using var iterator = session.Iterate();
        while (iterator.GetNext(out _))
        {
            var key = iterator.GetKey().AsReadOnlySpan();
            if (key.Length > 0 && key[0] == space)
            {
                found.Add((key.ToArray(), iterator.GetValue().ToByteArray()));
            }
        }
        return found;
    }

    public long TailAddress => store.Log.TailAddress;

    /// <summary>Takes a fold-over checkpoint and waits for it: the log below the returned tail is immutable from now on.</summary>
    public long Checkpoint()
    {
        var tail = store.Log.TailAddress;
        Invariant.True(store.TryInitiateFullCheckpoint(out _, CheckpointType.FoldOver));
        store.CompleteCheckpointAsync().AsTask().GetAwaiter().GetResult();
        return tail;
    }

    /// <summary>Every record version in [begin, untilAddress) in log order (tombstones as null values).</summary>
    public IEnumerable<SnapshotRecord> RecordsUntil(long untilAddress)
    {
        using var iterator = store.Log.Scan(store.Log.BeginAddress, untilAddress);
        while (iterator.GetNext(out var info))
        {
            if (info.Invalid)
            {
                continue;
            }
            var key = iterator.GetKey().ToByteArray();
            yield return new SnapshotRecord(key, info.Tombstone ? null : iterator.GetValue().ToByteArray());
        }
    }

    public void Dispose()
    {
        session.Dispose();
        store.Dispose();
        settings.Dispose();
    }
}

/// <summary>FASTER callbacks for SpanByte keys and values that copy a value read into the caller's reused buffer.</summary>
internal sealed class ValueCopyFunctions : SpanByteFunctions<SpanByte, ArrayBufferWriter<byte>, Empty>
{
    /// <inheritdoc/>
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ArrayBufferWriter<byte> dst, ref ReadInfo readInfo)
    {
        Copy(ref value, dst);
        return true;
    }

    /// <inheritdoc/>
    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref ArrayBufferWriter<byte> dst, ref ReadInfo readInfo)
    {
        Copy(ref value, dst);
        return true;
    }

    // Reset first: a reader may run again for the same read (a retried operation), and must not append twice.
    private static void Copy(ref SpanByte value, ArrayBufferWriter<byte> dst)
    {
        dst.ResetWrittenCount();
        dst.Write(value.AsReadOnlySpan());
    }
}
