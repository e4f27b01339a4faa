using System;

namespace KvRaft.Protocol;

/// <summary>The outcome of a <see cref="FaultControlRequest"/>.</summary>
public enum FaultControlStatus : byte
{
    /// <summary>Applied; the message describes the rules now in force.</summary>
    Ok = 0,
    /// <summary>The node runs without fault control: nothing changed.</summary>
    Disabled = 1,
    /// <summary>The request names something this node cannot do (e.g. an unknown node): nothing changed.</summary>
    InvalidArgument = 2,
}

/// <summary>The answer to a <see cref="FaultControlRequest"/>.</summary>
public readonly record struct FaultControlResponse
{
    /// <summary>The request's id.</summary>
    public ulong RequestId { get; init; }
    /// <summary>The outcome.</summary>
    public FaultControlStatus Status { get; init; }
    /// <summary>Ok: the rules in force; otherwise why nothing changed. Null when empty.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// Codec for <see cref="FaultControlResponse"/> (frame type 19): u64 requestId, u8 status, text message.
/// Layout in docs/wire-format.md.
/// </summary>
public static class FaultControlResponseCodec
{
    /// <summary>Bytes before the message.</summary>
    public const int FixedBytes = 8 + 1;

    /// <summary>Body size of <paramref name="response"/>.</summary>
    public static int Size(in FaultControlResponse response) => FixedBytes + 2 + WireWriter.TextBytes(response.Message);

    /// <summary>Writes the body; returns the bytes written.</summary>
    public static int Format(in FaultControlResponse response, Span<byte> destination)
    {
        var size = Size(response);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(response.Status <= FaultControlStatus.InvalidArgument, response.Status);
        var writer = new WireWriter(destination);
        writer.U64(response.RequestId);
        writer.U8((byte)response.Status);
        writer.Text(response.Message);
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>Reads a body; never throws.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out FaultControlResponse response)
    {
        response = default;
        var reader = new WireReader(body.Span);
        if (!reader.U64(out var requestId) || !reader.U8(out var status))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "fault control response id or status missing");
        }
        if (status > (byte)FaultControlStatus.InvalidArgument)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown fault control status");
        }
        var result = reader.Text(out var message);
        if (!result.IsOk)
        {
            return result;
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        response = new FaultControlResponse { RequestId = requestId, Status = (FaultControlStatus)status, Message = message };
        return ParseResult.Ok;
    }

    /// <summary>
    /// <paramref name="message"/> cut to fit a text field (<see cref="ProtocolLimits.TextBytesMax"/> UTF-8 bytes),
    /// ending in "..." when cut.
    /// </summary>
    public static string Clip(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (WireWriter.TextBytes(message) <= ProtocolLimits.TextBytesMax) return message;
        var length = Math.Min(message.Length, ProtocolLimits.TextBytesMax - 3);
        while (WireWriter.TextBytes(message[..length]) > ProtocolLimits.TextBytesMax - 3 || (length > 0 && char.IsHighSurrogate(message[length - 1])))
        {
            length--;
        }
        return message[..length] + "...";
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in FaultControlResponse response) => FrameHeader.Bytes + Size(response);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in FaultControlResponse response, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.FaultControlResponse, Size(response), destination);
        return header + Format(response, destination[header..]);
    }
}
