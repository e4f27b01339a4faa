// Goal: peer messages round-trip every field (entries, compact form, compressed block, snapshot metadata) and refuse bad input with the right error; method: CsCheck properties plus hand-built refusals.
using System.Buffers.Binary;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class PeerMessageTests
{
    private static PeerMessage Append(params WireEntry[] entries) =>
        new() { Type = PeerMessageType.Append, From = 1, To = 2, Term = 5, Index = 9, LogTerm = 4, Commit = 8, Entries = EntryList.From(entries) };

    [Fact]
    public void PeerMessage_RoundTripsEveryField() => Generators.PeerMessage.Sample(m => Codecs.PeerMessage.AssertRoundTrip(m), iter: 1000);

    [Fact]
    public void PeerMessage_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.PeerMessage.Sample(m =>
    {
        Codecs.PeerMessage.AssertEveryPrefixTruncated(m);
        Codecs.PeerMessage.AssertTrailingByteMalformed(m);
        Codecs.PeerMessage.AssertFramePrefixesNeedMoreData(m);
    }, iter: 200);

    [Fact]
    public void PeerMessage_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.PeerMessage.AssertFuzzSafe(Generators.PeerMessage);

    [Fact]
    public void PeerMessage_HeartbeatIsTheFixedPartOnly()
    {
        var heartbeat = new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = 3, Commit = 4 };
        Assert.Equal(PeerMessageCodec.FixedBytes, PeerMessageCodec.Size(heartbeat));
        Assert.Equal(58, PeerMessageCodec.FixedBytes);
    }

    [Fact]
    public void EntryList_ConsecutiveEntriesOfOneTermCostSixBytesPlusData()
    {
        var entries = Enumerable.Range(10, 5).Select(i => new WireEntry(i, 7, EntryType.Normal, new byte[3])).ToArray();
        Assert.Equal((22 + 3) + (4 * (6 + 3)), EntryList.BlockSize(entries));
        Codecs.PeerMessage.AssertRoundTrip(Append(entries));
    }

    [Fact]
    public void EntryList_IndexAtLongMaxValueIsNeverCompacted()
    {
        var message = Append(new WireEntry(long.MaxValue, 1, EntryType.NoOp, default), new WireEntry(long.MinValue, 1, EntryType.Normal, new byte[] { 1 }));
        Codecs.PeerMessage.AssertRoundTrip(message);
    }

    [Fact]
    public void PeerMessage_ParsedEntriesAreViewsOfTheBody()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, new byte[] { 1, 2, 3 })));
        Assert.True(PeerMessageCodec.Parse(bytes, out var parsed).IsOk);
        var list = new List<WireEntry>();
        parsed.Entries.CopyTo(list);
        var data = Assert.Single(list).Data;
        bytes[^1] = 42; // the caller reuses its buffer: the view sees it, which is why the lifetime is documented
        Assert.Equal([1, 2, 42], data.ToArray());
    }

    [Fact]
    public void PeerMessage_CompressedEntriesRoundTripThroughTheTransportsCompressor()
    {
        Generators.Entries.Where(e => e.Length > 0).Sample(entries =>
        {
            var block = new byte[EntryList.BlockSize(entries)];
            Assert.Equal(block.Length, EntryList.FormatBlock(entries, block));
            var compressed = block.Reverse().ToArray(); // any reversible transform stands in for LZ4 here
            var message = Append(entries) with { Entries = EntryList.FromCompressed(compressed, entries.Length, block.Length) };

            var bytes = Codecs.PeerMessage.Encode(message);
            Assert.True(PeerMessageCodec.Parse(bytes, out var parsed).IsOk);
            Assert.True(parsed.Entries.IsCompressed);
            Assert.Equal(block.Length, parsed.Entries.UncompressedBytes);
            Assert.Equal(message, parsed);

            var decompressed = parsed.Entries.Block.ToArray().Reverse().ToArray();
            Assert.True(EntryList.ParseBlock(decompressed, parsed.Entries.Count, out var view).IsOk);
            Assert.Equal(EntryList.From(entries), view);
        }, iter: 300);
    }

    [Fact]
    public void PeerMessage_FormatAllocatesNothing()
    {
        var message = Append(Enumerable.Range(1, 64).Select(i => new WireEntry(i, 3, EntryType.Normal, new byte[100])).ToArray())
            with
        { Snapshot = null };
        var buffer = new byte[PeerMessageCodec.Size(message)];
        for (var i = 0; i < 1000; i++) // warm up past tiered compilation
        {
            PeerMessageCodec.Format(message, buffer);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            PeerMessageCodec.Format(message, buffer);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PeerMessage_ParseWithoutSnapshotAllocatesNothing()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(Enumerable.Range(1, 64).Select(i => new WireEntry(i, 3, EntryType.Normal, new byte[100])).ToArray()));
        long Run()
        {
            long sum = 0;
            PeerMessageCodec.Parse(bytes, out var parsed);
            foreach (var entry in parsed.Entries)
            {
                sum += entry.Index + entry.Data.Length;
            }
            return sum;
        }
        for (var i = 0; i < 1000; i++) // warm up past tiered compilation
        {
            Run();
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Run();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PeerMessage_RefusesAnUnknownMessageType()
    {
        var bytes = Codecs.PeerMessage.Encode(Append());
        bytes[0] = 17; // one past ShardDropReply
        Assert.Equal(ProtocolError.UnknownType, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesReservedFlagBits()
    {
        var bytes = Codecs.PeerMessage.Encode(Append());
        bytes[1] = 8;
        Assert.Equal(ProtocolError.Malformed, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesAnUnknownEntryType()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, default)));
        bytes[PeerMessageCodec.FixedBytes + PeerMessageCodec.EntriesHeaderBytes] = 3;
        Assert.Equal(ProtocolError.UnknownType, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesTooManyEntriesBeforeReadingThem()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, default)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PeerMessageCodec.FixedBytes + 1), ProtocolLimits.EntriesPerAppendMax + 1);
        Assert.Equal(ProtocolError.TooLarge, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesAnEntriesBlockAboveItsLimit()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, default)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PeerMessageCodec.FixedBytes + 5), ProtocolLimits.EntriesBlockBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesEntryDataAboveItsLimit()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, default)));
        var lengthOffset = PeerMessageCodec.FixedBytes + PeerMessageCodec.EntriesHeaderBytes + 2 + 8 + 8;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(lengthOffset), ProtocolLimits.EntryDataBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesTooManyVoters()
    {
        var message = new PeerMessage { Type = PeerMessageType.Snapshot, Snapshot = new SnapshotMeta(100, 4, new[] { 1, 2, 3 }) };
        var bytes = Codecs.PeerMessage.Encode(message);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(PeerMessageCodec.FixedBytes + 16), ProtocolLimits.VotersMax + 1);
        Assert.Equal(ProtocolError.TooLarge, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    private static readonly SnapshotMeta JointMeta = new(100, 4, new[] { 1, 2, 4 }) { VotersOutgoing = new[] { 1, 2, 3 }, Learners = new[] { 5 }, AutoLeave = true };

    [Fact]
    public void SnapshotMeta_CarriesLearnersOutgoingVotersAndAutoLeave()
    {
        var message = new PeerMessage { Type = PeerMessageType.Snapshot, Snapshot = JointMeta };
        Assert.True(PeerMessageCodec.Parse(Codecs.PeerMessage.Encode(message), out var parsed).IsOk);
        Assert.Equal(JointMeta, parsed.Snapshot);
    }

    [Fact]
    public void SnapshotMeta_OfVotersAloneIsWrittenAsBeforeLearnersExisted()
    {
        var bytes = Codecs.PeerMessage.Encode(new PeerMessage { Type = PeerMessageType.Snapshot, Snapshot = new SnapshotMeta(100, 4, new[] { 1, 2, 3 }) });
        Assert.Equal(PeerMessageCodec.FixedBytes + 16 + 2 + 12, bytes.Length);
        Assert.Equal(4, bytes[1]); // the snapshot flag alone: a reader of the first format reads it
    }

    [Fact]
    public void SnapshotMeta_RefusesAnAutoLeaveOtherThanZeroOrOne()
    {
        var bytes = Codecs.PeerMessage.Encode(new PeerMessage { Type = PeerMessageType.Snapshot, Snapshot = JointMeta });
        bytes[^1] = 2;
        Assert.Equal(ProtocolError.Malformed, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotMeta_RefusesTooManyLearners()
    {
        var bytes = Codecs.PeerMessage.Encode(new PeerMessage { Type = PeerMessageType.Snapshot, Snapshot = JointMeta });
        var learnerCount = PeerMessageCodec.FixedBytes + 16 + 2 + 12 + 2 + 12;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(learnerCount), ProtocolLimits.VotersMax + 1);
        Assert.Equal(ProtocolError.TooLarge, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotMeta_RefusesTheExtendedFlagWithoutASnapshot()
    {
        var bytes = Codecs.PeerMessage.Encode(new PeerMessage { Type = PeerMessageType.Heartbeat });
        bytes[1] = 8;
        Assert.Equal(ProtocolError.Malformed, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesAnEntriesSectionWithNoEntries()
    {
        var bytes = Codecs.PeerMessage.Encode(Append(new WireEntry(10, 5, EntryType.Normal, default)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PeerMessageCodec.FixedBytes + 1), 0);
        Assert.Equal(ProtocolError.Malformed, PeerMessageCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void PeerMessage_RefusesAnEntryWrittenInFullWhereTheCompactFormApplies()
    {
        // Two entries 10 and 11 of term 5: the second must be compact. Rebuild it in full by hand.
        var block = new List<byte>();
        void Entry(byte flags, long? index, long? term)
        {
            block.Add(0);
            block.Add(flags);
            if (index is { } i) { block.AddRange(BitConverter.GetBytes(i)); }
            if (term is { } t) { block.AddRange(BitConverter.GetBytes(t)); }
            block.AddRange(BitConverter.GetBytes(0u));
        }
        Entry(0, 10, 5);
        Entry(0, 11, 6); // index should have been compacted
        Assert.Equal(ProtocolError.Malformed, EntryList.ParseBlock(block.ToArray(), 2, out _).Error);
        block.Clear();
        Entry(0, 10, 5);
        Entry(1, null, 5); // term should have been compacted
        Assert.Equal(ProtocolError.Malformed, EntryList.ParseBlock(block.ToArray(), 2, out _).Error);
        block.Clear();
        Entry(0, 10, 5);
        Entry(3, null, null);
        Assert.True(EntryList.ParseBlock(block.ToArray(), 2, out _).IsOk);
    }
}
