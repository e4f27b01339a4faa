// Goal: a stream over a simulated file; method: writes go to the page cache (or are durable at once when write-through).
namespace KvRaft.Storage.Tests;

internal sealed class SimStream(SimDisk disk, SimFile file, FileAccess access, bool writeThrough) : Stream
{
    private long _position;

    public override bool CanRead => access.HasFlag(FileAccess.Read);

    public override bool CanSeek => true;

    public override bool CanWrite => access.HasFlag(FileAccess.Write);

    public override long Length => disk.LengthOf(file);

    public override long Position { get => _position; set => _position = value; }

    public override void Flush()
    {
    }

    public void Sync() => disk.Sync(file);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = disk.Read(file, _position, buffer);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        return _position;
    }

    public override void SetLength(long value) => disk.Change(file, new FileChange(0, null, value));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!CanWrite)
        {
            throw new NotSupportedException("simulated disk: stream opened read-only");
        }
        disk.Change(file, new FileChange(_position, buffer.ToArray(), 0));
        _position += buffer.Length;
        if (writeThrough)
        {
            disk.Sync(file, device: true);
        }
    }
}
