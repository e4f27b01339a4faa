// Goal: the simulated disk's files and folders, each with a durable state and what was done to it since its last sync;
// method: content in 4 KiB copy-on-write blocks, so a crash image shares every block it does not change.
namespace KvRaft.Storage.Tests;

/// <summary>One change to a file: a write (Data) or a truncation to NewLength (Data null).</summary>
internal readonly record struct FileChange(long Offset, byte[]? Data, long NewLength);

/// <summary>A file's bytes in 4 KiB blocks; a block array is never changed once stored (a change stores a copy).</summary>
internal sealed class BlockContent
{
    public const int BlockBytes = 4096;
    private Dictionary<long, byte[]> _blocks = [];

    public long Length { get; private set; }

    public BlockContent Clone() => new() { _blocks = new Dictionary<long, byte[]>(_blocks), Length = Length };

    public void Apply(in FileChange change)
    {
        if (change.Data is null)
        {
            SetLength(change.NewLength);
        }
        else
        {
            Write(change.Offset, change.Data);
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var at = offset;
        while (!data.IsEmpty)
        {
            var block = at / BlockBytes;
            var within = (int)(at % BlockBytes);
            var count = Math.Min(BlockBytes - within, data.Length);
            var copy = new byte[BlockBytes];
            if (_blocks.TryGetValue(block, out var old))
            {
                old.CopyTo(copy, 0);
            }
            data[..count].CopyTo(copy.AsSpan(within));
            _blocks[block] = copy;
            data = data[count..];
            at += count;
        }
        Length = Math.Max(Length, at);
    }

    public void SetLength(long length)
    {
        if (length < Length)
        {
            foreach (var block in _blocks.Keys.Where(b => b * BlockBytes >= length).ToList())
            {
                _blocks.Remove(block);
            }
            var last = length / BlockBytes;
            if (length % BlockBytes != 0 && _blocks.TryGetValue(last, out var old))
            {
                var copy = new byte[BlockBytes];
                old.AsSpan(0, (int)(length % BlockBytes)).CopyTo(copy);
                _blocks[last] = copy;
            }
        }
        Length = length;
    }

    /// <summary>Reads from <paramref name="offset"/>; zeros past the end; returns the bytes that lie inside the file.</summary>
    public int Read(long offset, Span<byte> into)
    {
        into.Clear();
        var inside = (int)Math.Clamp(Length - offset, 0, into.Length);
        var at = offset;
        var done = 0;
        while (done < inside)
        {
            var within = (int)(at % BlockBytes);
            var count = Math.Min(BlockBytes - within, inside - done);
            if (_blocks.TryGetValue(at / BlockBytes, out var block))
            {
                block.AsSpan(within, count).CopyTo(into[done..]);
            }
            done += count;
            at += count;
        }
        return inside;
    }
}

internal abstract class SimNode(long created)
{
    /// <summary>Order of creation on the disk (folder listings put the newest first, as FASTER expects).</summary>
    public long Created { get; } = created;
}

internal sealed class SimFile(long created) : SimNode(created)
{
    /// <summary>The path it was created at (for failure messages).</summary>
    public string Name { get; init; } = "";

    /// <summary>What a reader sees now (the page cache).</summary>
    public BlockContent Current { get; set; } = new();

    /// <summary>What is on the platter.</summary>
    public BlockContent Durable { get; set; } = new();

    /// <summary>Changes since the last sync, in order: at a crash a prefix of them survives, the last one maybe torn.</summary>
    public List<FileChange> Unsynced { get; } = [];
}

/// <summary>A folder change: names set to a node or removed (null), as one step (a rename is one).</summary>
internal sealed record FolderChange(IReadOnlyList<(string Name, SimNode? Node)> Names);

internal sealed class SimFolder(long created) : SimNode(created)
{
    public Dictionary<string, SimNode> Current { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, SimNode> Durable { get; set; } = new(StringComparer.Ordinal);

    public List<FolderChange> Unsynced { get; } = [];

    public static void Apply(Dictionary<string, SimNode> entries, FolderChange change)
    {
        foreach (var (name, node) in change.Names)
        {
            if (node is null)
            {
                entries.Remove(name);
            }
            else
            {
                entries[name] = node;
            }
        }
    }
}
