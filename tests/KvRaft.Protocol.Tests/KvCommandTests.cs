// Goal: log commands and command batches round-trip every op and refuse bad input with the right error; method: CsCheck properties plus hand-built refusals.
using System.Buffers.Binary;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class KvCommandTests
{
    private static bool SameCommands(KvCommand[] a, KvCommand[] b) => a.SequenceEqual(b);

    [Fact]
    public void KvCommand_RoundTripsEveryOp() => Generators.KvCommand.Sample(c => Codecs.KvCommand.AssertRoundTrip(c), iter: 1000);

    [Fact]
    public void KvCommand_EveryPrefixIsTruncatedAndTrailingBytesMalformed() => Generators.KvCommand.Sample(c =>
    {
        Codecs.KvCommand.AssertEveryPrefixTruncated(c);
        Codecs.KvCommand.AssertTrailingByteMalformed(c);
    }, iter: 100);

    [Fact]
    public void KvCommand_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.KvCommand.AssertFuzzSafe(Generators.KvCommand);

    [Fact]
    public void KvCommandBatch_RoundTripsEveryCommandInOrder() =>
        Generators.KvCommands.Sample(c => Codecs.KvCommandBatch.AssertRoundTrip(c, SameCommands), iter: 500);

    [Fact]
    public void KvCommandBatch_EveryPrefixIsTruncatedAndTrailingBytesMalformed() => Generators.KvCommands.Sample(c =>
    {
        Codecs.KvCommandBatch.AssertEveryPrefixTruncated(c);
        Codecs.KvCommandBatch.AssertTrailingByteMalformed(c);
    }, iter: 50);

    [Fact]
    public void KvCommandBatch_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.KvCommandBatch.AssertFuzzSafe(Generators.KvCommands, 1000);

    [Fact]
    public void KvCommandBatch_RefusesAnotherFormatVersion()
    {
        var bytes = Codecs.KvCommandBatch.Encode([]);
        bytes[0] = 2;
        Assert.Equal(ProtocolError.BadVersion, KvCommandBatchCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void KvCommandBatch_RefusesTooManyCommandsBeforeReadingThem()
    {
        var bytes = Codecs.KvCommandBatch.Encode([]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(1), ProtocolLimits.CommandsPerBatchMax + 1);
        Assert.Equal(ProtocolError.TooLarge, KvCommandBatchCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void KvCommand_RefusesGetStatusTransferLeaderAndUnknownOps()
    {
        var bytes = Codecs.KvCommand.Encode(new KvCommand { Op = ClientOp.RegisterSession, ClientId = 1, Sequence = 2 });
        foreach (var op in new byte[] { 0, (byte)ClientOp.Get, (byte)ClientOp.Status, (byte)ClientOp.TransferLeader, 9, 255 })
        {
            bytes[0] = op;
            Assert.Equal(ProtocolError.UnknownType, KvCommandCodec.Parse(bytes, out _).Error);
        }
    }

    [Fact]
    public void KvCommand_RefusesAKeyAboveItsLimit()
    {
        var bytes = Codecs.KvCommand.Encode(new KvCommand { Op = ClientOp.Delete, Key = new byte[] { 1 } });
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(KvCommandCodec.FixedBytes), ProtocolLimits.KeyBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, KvCommandCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void KvCommand_RefusesAValueAboveItsLimit()
    {
        var bytes = Codecs.KvCommand.Encode(new KvCommand { Op = ClientOp.Put, Key = new byte[] { 1 }, Value = new byte[] { 2 } });
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(KvCommandCodec.FixedBytes + 3), ProtocolLimits.ValueBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, KvCommandCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void KvCommand_WithoutIdentity_KeepsTheLayoutOfOldLogs_AndAnIdentityAddsEightBytesAfterTheSequence()
    {
        var plain = new KvCommand { Op = ClientOp.Put, ClientId = 5, Sequence = 6, Key = new byte[] { 1 }, Value = new byte[] { 2 } };
        var bytes = Codecs.KvCommand.Encode(plain);
        Assert.Equal((byte)ClientOp.Put, bytes[0]);
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(1)));
        Assert.Equal(6UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(9)));
        var owned = Codecs.KvCommand.Encode(plain with { Identity = 0xABCD });
        Assert.Equal(bytes.Length + KvCommandCodec.IdentityBytes, owned.Length);
        Assert.Equal((byte)ClientOp.Put | KvCommandCodec.IdentityFlag, owned[0]);
        Assert.Equal(0xABCDUL, BinaryPrimitives.ReadUInt64LittleEndian(owned.AsSpan(KvCommandCodec.FixedBytes)));
        Assert.True(KvCommandCodec.Parse(owned, out var parsed).IsOk);
        Assert.Equal(0xABCDUL, parsed.Identity);
    }

    [Fact]
    public void KvCommand_RefusesAFlaggedIdentityOfZero()
    {
        var bytes = Codecs.KvCommand.Encode(new KvCommand { Op = ClientOp.RegisterSession, ClientId = 1, Sequence = 2, Identity = 7 });
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(KvCommandCodec.FixedBytes), 0);
        Assert.Equal(ProtocolError.Malformed, KvCommandCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void KvCommand_CompareAndSetExpectAbsentOmitsTheExpectedValue()
    {
        var absent = new KvCommand { Op = ClientOp.CompareAndSet, Key = new byte[] { 1 }, ExpectAbsent = true, Value = new byte[] { 2 } };
        var present = absent with { ExpectAbsent = false, Expected = Array.Empty<byte>() };
        Assert.Equal(KvCommandCodec.Size(present) - 4, KvCommandCodec.Size(absent));
        Codecs.KvCommand.AssertRoundTrip(absent);
        Codecs.KvCommand.AssertRoundTrip(present);
    }

    [Fact]
    public void KvCommand_LimitSizedKeyAndValueRoundTrip()
    {
        var command = new KvCommand
        {
            Op = ClientOp.CompareAndSet,
            Key = new byte[ProtocolLimits.KeyBytesMax],
            Expected = new byte[ProtocolLimits.ValueBytesMax],
            Value = new byte[ProtocolLimits.ValueBytesMax],
        };
        Codecs.KvCommand.AssertRoundTrip(command);
    }
}
