// Goal: a snapshot from a peer is refused before anything is replaced whenever reading it back could fail, even when
// every checksum holds (a frame that does not decode to whole records); method: hand-made files with valid CRCs
// installed into both state machines.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvRaft.Storage.Tests;

public sealed class SnapshotInstallerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, 16)] // LZ4 garbage
    [InlineData(true, 16)] // a valid block whose record claims a key longer than the frame
    [InlineData(true, -5)] // a negative raw size
    public void A_frame_with_valid_checksums_that_does_not_decode_to_records_is_refused_and_nothing_is_replaced(bool validBlock, int rawBytes)
    {
        var file = HandMade(validBlock, rawBytes);
        foreach (var target in new KvStateMachineBase[] { new MemoryKvStateMachine(Small.Limits), FasterKvStateMachine.Open(_dir.Sub("sm"), Small.Limits) })
        {
            using (target)
            {
                target.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Put, "mine"u8.ToArray(), "kept"u8.ToArray()))], []);
                using (var installer = new SnapshotInstaller(target, _dir.Sub("staging")))
                {
                    installer.Accept(new SnapshotChunk(0, file, Crc32C.Compute(file), Last: true));
                    Assert.Throws<StorageCorruptException>(() => installer.Complete());
                }
                Assert.Equal("kept"u8.ToArray(), target.Get("mine"u8));
                Assert.Equal(1, target.AppliedIndex);
            }
        }
    }

    /// <summary>A snapshot file at 9@2 with one frame whose CRC-32C and the whole-file CRC-64 hold.</summary>
    private static byte[] HandMade(bool validBlock, int rawBytes)
    {
        byte[] body;
        if (validBlock)
        {
            var raw = new byte[16];
            raw[0] = 1; // put
            BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(1), 1000); // key longer than the frame
            body = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(raw.Length)];
            body = body.AsSpan(0, K4os.Compression.LZ4.LZ4Codec.Encode(raw, body)).ToArray();
        }
        else
        {
            body = [0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8];
        }
        using var output = new MemoryStream();
        var header = new byte[28];
        "KVSNAP01"u8.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), 9);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), 2);
        output.Write(header);
        var frame = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(frame, rawBytes);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Crc32C.Compute(body));
        output.Write(frame);
        output.Write(body);
        output.Write(new byte[12]);
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, Crc64.HashToUInt64(output.ToArray()));
        output.Write(trailer);
        return output.ToArray();
    }
}
