using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>How to size and write one kind of frame: lets the outbound queue format any frame without allocating.</summary>
internal interface IFrameFormat<T>
{
    static abstract int FrameSize(in T value);

    static abstract int FormatFrame(in T value, Span<byte> destination);
}

internal readonly struct PeerHelloFrame : IFrameFormat<PeerHello>
{
    public static int FrameSize(in PeerHello value) => PeerHelloCodec.FrameSize(value);

    public static int FormatFrame(in PeerHello value, Span<byte> destination) => PeerHelloCodec.FormatFrame(value, destination);
}

internal readonly struct PeerMessageFrame : IFrameFormat<PeerMessage>
{
    public static int FrameSize(in PeerMessage value) => PeerMessageCodec.FrameSize(value);

    public static int FormatFrame(in PeerMessage value, Span<byte> destination) => PeerMessageCodec.FormatFrame(value, destination);
}

internal readonly struct SnapshotChunkFrame : IFrameFormat<SnapshotChunk>
{
    public static int FrameSize(in SnapshotChunk value) => SnapshotChunkCodec.FrameSize(value);

    public static int FormatFrame(in SnapshotChunk value, Span<byte> destination) => SnapshotChunkCodec.FormatFrame(value, destination);
}

/// <summary>A peer message of one replica group: the group frame, or the plain one for group 0 (<see cref="GroupFrameCodec"/>).</summary>
internal readonly record struct GroupMessage(int GroupId, PeerMessage Message);

/// <summary>A snapshot chunk of one replica group.</summary>
internal readonly record struct GroupChunk(int GroupId, SnapshotChunk Chunk);

internal readonly struct GroupMessageFrame : IFrameFormat<GroupMessage>
{
    public static int FrameSize(in GroupMessage value) => GroupFrameCodec.FrameSize(value.GroupId, value.Message);

    public static int FormatFrame(in GroupMessage value, Span<byte> destination) => GroupFrameCodec.FormatFrame(value.GroupId, value.Message, destination);
}

internal readonly struct GroupChunkFrame : IFrameFormat<GroupChunk>
{
    public static int FrameSize(in GroupChunk value) => GroupFrameCodec.FrameSize(value.GroupId, value.Chunk);

    public static int FormatFrame(in GroupChunk value, Span<byte> destination) => GroupFrameCodec.FormatFrame(value.GroupId, value.Chunk, destination);
}

internal readonly struct ClientRequestFrame : IFrameFormat<ClientRequest>
{
    public static int FrameSize(in ClientRequest value) => ClientRequestCodec.FrameSize(value);

    public static int FormatFrame(in ClientRequest value, Span<byte> destination) => ClientRequestCodec.FormatFrame(value, destination);
}

internal readonly struct ClientResponseFrame : IFrameFormat<ClientResponse>
{
    public static int FrameSize(in ClientResponse value) => ClientResponseCodec.FrameSize(value);

    public static int FormatFrame(in ClientResponse value, Span<byte> destination) => ClientResponseCodec.FormatFrame(value, destination);
}
