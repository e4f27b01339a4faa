using KvRaft.Protocol;

namespace KvRaft.Transport;

internal readonly struct FaultControlResponseFrame : IFrameFormat<FaultControlResponse>
{
    public static int FrameSize(in FaultControlResponse value) => FaultControlResponseCodec.FrameSize(value);

    public static int FormatFrame(in FaultControlResponse value, Span<byte> destination) => FaultControlResponseCodec.FormatFrame(value, destination);
}
