// Goal: shared checks for every codec — encode with a Size/Format agreement check, and the refusal properties (prefixes, mutations, garbage).
using CsCheck;

namespace KvRaft.Protocol.Tests;

internal delegate int SizeOf<T>(in T value);

internal delegate int FormatTo<T>(in T value, Span<byte> destination);

internal delegate ParseResult ParseFrom<T>(ReadOnlyMemory<byte> body, out T value);

/// <summary>One codec's three functions, plus an optional deep check run on every accepted parse (e.g. enumerate views).</summary>
internal sealed record Codec<T>(SizeOf<T> Size, FormatTo<T> Format, ParseFrom<T> Parse, Action<T>? Touch = null, FrameType? Frame = null)
{
    /// <summary>As a whole frame: every strict prefix needs more data (exactly the missing count once the length is in), the whole frame decodes to this type and body.</summary>
    public void AssertFramePrefixesNeedMoreData(T value)
    {
        var type = Frame ?? throw new InvalidOperationException("not a frame codec");
        var body = Encode(value);
        var frame = new byte[FrameHeader.Bytes + body.Length];
        FrameHeader.Format(type, body.Length, frame);
        body.CopyTo(frame, FrameHeader.Bytes);
        for (var length = 0; length < frame.Length; length++)
        {
            var partial = FrameDecoder.Decode(frame.AsSpan(0, length));
            Assert.Equal(FrameDecodeStatus.NeedMoreData, partial.Status);
            Assert.True(length < FrameHeader.LengthBytes || partial.NeededBytes == frame.Length - length, $"prefix {length}: needs {partial.NeededBytes}");
        }
        var whole = FrameDecoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.Frame, whole.Status);
        Assert.Equal(type, whole.Type);
        Assert.Equal(frame.Length, whole.ConsumedBytes);
        Assert.True(Parse(whole.Body(frame.AsMemory()), out _).IsOk);
    }

    public byte[] Encode(T value)
    {
        var size = Size(value);
        var buffer = new byte[size + 8];
        var written = Format(value, buffer);
        Assert.Equal(size, written);
        return buffer[..written];
    }

    /// <summary>Round trip: parse(format(x)) == x, and re-formatting the parse gives the same bytes.</summary>
    public void AssertRoundTrip(T value, Func<T, T, bool>? equal = null)
    {
        var bytes = Encode(value);
        var result = Parse(bytes, out var parsed);
        Assert.True(result.IsOk, result.ToString());
        Assert.True(equal?.Invoke(value, parsed) ?? EqualityComparer<T>.Default.Equals(value, parsed), $"round trip changed {value} into {parsed}");
        Assert.Equal(bytes, Encode(parsed));
    }

    /// <summary>Every strict prefix of a valid encoding is refused as Truncated.</summary>
    public void AssertEveryPrefixTruncated(T value)
    {
        var bytes = Encode(value);
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = Parse(bytes.AsMemory(0, length), out _);
            Assert.True(result.Error == ProtocolError.Truncated, $"prefix {length}/{bytes.Length}: {result}");
        }
    }

    /// <summary>A valid encoding with a byte appended is refused as Malformed (trailing bytes).</summary>
    public void AssertTrailingByteMalformed(T value)
    {
        var bytes = Encode(value);
        var longer = new byte[bytes.Length + 1];
        bytes.CopyTo(longer, 0);
        Assert.Equal(ProtocolError.Malformed, Parse(longer, out _).Error);
    }

    /// <summary>Any input: no exception; an accepted input is canonical (re-formats to the same bytes).</summary>
    public void AssertNeverThrowsAndAcceptsOnlyCanonical(byte[] input)
    {
        var result = Parse(input, out var parsed);
        if (!result.IsOk)
        {
            Assert.NotEqual(ProtocolError.None, result.Error);
            Assert.False(string.IsNullOrEmpty(result.Message));
            return;
        }
        Touch?.Invoke(parsed);
        Assert.Equal(input, Encode(parsed));
    }

    /// <summary>Garbage and mutated valid encodings: never throws, canonical when accepted.</summary>
    public void AssertFuzzSafe(Gen<T> values, long iterations = 2000)
    {
        Generators.SmallBytes.Select(Gen.Byte.Array[0, 400], (a, b) => a.Length % 2 == 0 ? a : b)
            .Sample(AssertNeverThrowsAndAcceptsOnlyCanonical, iter: iterations);
        Gen.Select(values, Gen.Int[0, int.MaxValue].Array[1, 4], Gen.Byte.Array[4], (value, positions, bytes) => (value, positions, bytes))
            .Sample(t =>
            {
                var encoded = Encode(t.value);
                if (encoded.Length == 0)
                {
                    return;
                }
                for (var i = 0; i < t.positions.Length; i++)
                {
                    encoded[t.positions[i] % encoded.Length] ^= (byte)(t.bytes[i] | 1);
                }
                AssertNeverThrowsAndAcceptsOnlyCanonical(encoded);
            }, iter: iterations);
    }
}

internal static class Codecs
{
    public static readonly Codec<PeerHello> PeerHello = new(
        PeerHelloCodec.Size, PeerHelloCodec.Format, (ReadOnlyMemory<byte> body, out PeerHello value) => PeerHelloCodec.Parse(body.Span, out value), Frame: FrameType.PeerHello);

    public static readonly Codec<PeerMessage> PeerMessage = new(PeerMessageCodec.Size, PeerMessageCodec.Format, PeerMessageCodec.Parse,
        m =>
        {
            if (!m.Entries.IsCompressed)
            {
                var count = 0;
                foreach (var entry in m.Entries)
                {
                    count++;
                }
                Assert.Equal(m.Entries.Count, count);
            }
        }, FrameType.PeerMessage);

    public static readonly Codec<SnapshotChunk> SnapshotChunk = new(SnapshotChunkCodec.Size, SnapshotChunkCodec.Format, SnapshotChunkCodec.Parse, Frame: FrameType.SnapshotChunk);

    public static readonly Codec<KvCommand> KvCommand = new(KvCommandCodec.Size, KvCommandCodec.Format, KvCommandCodec.Parse);

    /// <summary>The batch codec, seen through an array of commands (the view is enumerated into one).</summary>
    public static readonly Codec<KvCommand[]> KvCommandBatch = new(
        (in KvCommand[] commands) => KvCommandBatchCodec.Size(commands),
        (in KvCommand[] commands, Span<byte> destination) => KvCommandBatchCodec.Format(commands, destination),
        (ReadOnlyMemory<byte> body, out KvCommand[] commands) =>
        {
            var result = KvCommandBatchCodec.Parse(body, out var batch);
            var list = new List<KvCommand>();
            if (result.IsOk)
            {
                batch.CopyTo(list);
                Assert.Equal(batch.Count, list.Count);
            }
            commands = [.. list];
            return result;
        });

    public static readonly Codec<ClientRequest> ClientRequest = new(ClientRequestCodec.Size, ClientRequestCodec.Format, ClientRequestCodec.Parse, Frame: FrameType.ClientRequest);

    public static readonly Codec<ClientResponse> ClientResponse = new(ClientResponseCodec.Size, ClientResponseCodec.Format, ClientResponseCodec.Parse, Frame: FrameType.ClientResponse);
}
