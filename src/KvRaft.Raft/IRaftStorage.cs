using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// The core's read-only view of durable storage. The host writes to its implementation when it
/// handles a <see cref="Ready"/>; the core only reads. Index FirstIndex-1 is the snapshot boundary:
/// its term is known, its entry is not.
/// </summary>
public interface IRaftStorage
{
    /// <summary>
    /// The hard state, and the configuration in effect at <see cref="Snapshot"/>'s index (the bootstrap configuration
    /// when there is no snapshot). The core applies the Config entries after it that the host had applied (up to
    /// <see cref="RaftConfig.Applied"/>) itself.
    /// </summary>
    (HardState HardState, ConfigState Config) InitialState();

    /// <summary>The first index whose entry is available (the snapshot's index + 1).</summary>
    long FirstIndex { get; }

    /// <summary>The last index stored (the snapshot's index when no entry follows it).</summary>
    long LastIndex { get; }

    /// <summary>The term of entry <paramref name="index"/>, for FirstIndex-1 ≤ index ≤ LastIndex; false otherwise.</summary>
    bool TryGetTerm(long index, out long term);

    /// <summary>
    /// Appends entries [lo, hiExclusive) to <paramref name="into"/>, stopping before the total passes
    /// <paramref name="maxBytes"/> but always giving at least one. Requires FirstIndex ≤ lo &lt; hiExclusive ≤ LastIndex + 1.
    /// </summary>
    void GetEntries(long lo, long hiExclusive, long maxBytes, List<Entry> into);

    /// <summary>
    /// The entries of an Append to follower <paramref name="to"/>: as <see cref="GetEntries"/>, except that a storage
    /// that keeps only part of its log in memory may answer false, "not available yet", adding nothing: it then starts
    /// one bounded background read for that follower (none while one is in flight), and the host calls
    /// <see cref="RaftNode.OnEntriesFetched"/> once the entries are in memory. The core sends that follower nothing
    /// meanwhile and leaves its progress as it was (etcd-io/raft's ErrUnavailable, raft-rs's
    /// LogTemporarilyUnavailable). The node's own reads (entries to apply) use <see cref="GetEntries"/>.
    /// </summary>
    bool TryGetEntriesFor(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        GetEntries(lo, hiExclusive, maxBytes, into);
        return true;
    }

    /// <summary>The latest snapshot (empty when none).</summary>
    SnapshotMetadata Snapshot { get; }
}
