using System;
using System.Collections.Generic;

namespace KvRaft.Protocol;

/// <summary>
/// The payload of one Normal log entry: the writes of one event-loop turn. Layout: u8 batch format
/// version (1), u32 count, then each <see cref="KvCommand"/> back to back. After
/// <see cref="KvCommandBatchCodec.Parse"/> this is a validated view of the payload: enumerate it
/// without allocating; commands' byte fields live as long as the payload memory.
/// </summary>
public readonly struct KvCommandBatch
{
    private readonly ReadOnlyMemory<byte> _commands;

    internal KvCommandBatch(ReadOnlyMemory<byte> commands, int count)
    {
        _commands = commands;
        Count = count;
    }

    /// <summary>Number of commands.</summary>
    public int Count { get; }

    /// <summary>Writes the commands into <paramref name="destination"/> (which it does not clear).</summary>
    public void CopyTo(List<KvCommand> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var command in this)
        {
            destination.Add(command);
        }
    }

    /// <summary>Enumerates the commands without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Allocation-free enumerator.</summary>
    public struct Enumerator
    {
        private readonly KvCommandBatch _batch;
        private int _next;
        private int _position;
        private KvCommand _current;

        internal Enumerator(KvCommandBatch batch)
        {
            _batch = batch;
            _next = 0;
            _position = 0;
            _current = default;
        }

        /// <summary>The current command.</summary>
        public readonly KvCommand Current => _current;

        /// <summary>Advances to the next command.</summary>
        public bool MoveNext()
        {
            if (_next >= _batch.Count)
            {
                return false;
            }
            var reader = new WireReader(_batch._commands[_position..]);
            var result = KvCommandCodec.Read(ref reader, out _current);
            Invariant.True(result.IsOk, result); // validated by Parse
            _position += reader.Position;
            _next++;
            return true;
        }
    }
}

/// <summary>Codec for <see cref="KvCommandBatch"/> (the form in which writes are stored as a log entry payload).</summary>
public static class KvCommandBatchCodec
{
    /// <summary>The batch format version written first in every payload.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Bytes before the first command.</summary>
    public const int HeaderBytes = 1 + 4;

    /// <summary>Encoded size of a batch of <paramref name="commands"/>.</summary>
    public static int Size(ReadOnlySpan<KvCommand> commands)
    {
        long bytes = HeaderBytes;
        foreach (ref readonly var command in commands)
        {
            bytes += KvCommandCodec.Size(command);
        }
        Invariant.True(bytes <= ProtocolLimits.CommandBatchBytesMax, bytes);
        return (int)bytes;
    }

    /// <summary>Writes a batch; returns the bytes written. Allocates nothing.</summary>
    public static int Format(ReadOnlySpan<KvCommand> commands, Span<byte> destination)
    {
        Invariant.True(commands.Length <= ProtocolLimits.CommandsPerBatchMax, commands.Length);
        var size = Size(commands);
        Invariant.True(destination.Length >= size, destination.Length);
        var writer = new WireWriter(destination);
        writer.U8(FormatVersion);
        writer.U32((uint)commands.Length);
        foreach (ref readonly var command in commands)
        {
            KvCommandCodec.Write(ref writer, command);
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>Validates a payload and returns a view of it; never throws.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> payload, out KvCommandBatch batch)
    {
        batch = default;
        if (payload.Length > ProtocolLimits.CommandBatchBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "command batch exceeds CommandBatchBytesMax");
        }
        var reader = new WireReader(payload);
        if (!reader.U8(out var version))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command batch version missing");
        }
        if (version != FormatVersion)
        {
            return ParseResult.Fail(ProtocolError.BadVersion, "command batch format version is not 1");
        }
        if (!reader.U32(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command batch count missing");
        }
        if (count > ProtocolLimits.CommandsPerBatchMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "command count exceeds CommandsPerBatchMax");
        }
        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            var result = KvCommandCodec.Read(ref reader, out _);
            if (!result.IsOk)
            {
                return result;
            }
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        batch = new KvCommandBatch(payload[start..], (int)count);
        return ParseResult.Ok;
    }
}
