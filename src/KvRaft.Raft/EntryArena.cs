using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// The entries of the Appends the core sends, copied out of the log into one reused buffer: each message's
/// entries are a slice of it, so sending allocates nothing once the buffer has grown. Reset only when no
/// message carrying a slice can still be read (see <see cref="RaftNode.Advance"/>).
/// </summary>
internal sealed class EntryArena
{
    private Entry[] _buffer = new Entry[64];
    private int _used;

    /// <summary>A copy of <paramref name="entries"/>, valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<Entry> Copy(List<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return ReadOnlyMemory<Entry>.Empty;
        }

        if (_used + entries.Count > _buffer.Length)
        {
            // Slices handed out keep the old buffer alive; the next ones go into a larger one.
            _buffer = new Entry[Math.Max(2 * _buffer.Length, entries.Count)];
            _used = 0;
        }
        entries.CopyTo(_buffer, _used);
        var slice = new ReadOnlyMemory<Entry>(_buffer, _used, entries.Count);
        _used += entries.Count;
        return slice;
    }

    /// <summary>Every slice handed out is dead: reuse the buffer (cleared, so payloads are not kept alive).</summary>
    public void Reset()
    {
        Array.Clear(_buffer, 0, _used);
        _used = 0;
    }
}
