namespace KvRaft.Storage;

/// <summary>
/// The Raft logs of many groups in one log: each group has its own view (<see cref="OpenGroup"/>, a full
/// <see cref="IRaftLogStore"/>), and one commit makes every group's writes durable together, so a process that hosts
/// many groups pays one device sync per batch, not one per group.
/// </summary>
public interface ISharedRaftLog : IDisposable
{
    /// <summary>
    /// The log of group <paramref name="groupId"/> (≥ 0): as recovered, or empty if the log holds nothing of it. One
    /// view per group at a time (its one writer); disposing the view closes it, not the shared log, and the group's
    /// records stay. Throws <see cref="InvalidOperationException"/> beyond <see cref="StorageLimits.LogGroupsMax"/> groups.
    /// </summary>
    IRaftLogStore OpenGroup(int groupId);

    /// <summary>The groups the log knows: every group found in its records when it opened, and every group opened since.</summary>
    IReadOnlyCollection<int> Groups { get; }

    /// <summary>Makes every write of every group made before the call durable, with one commit (shared with concurrent callers).</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>Commits issued so far: the device syncs the log has cost.</summary>
    long CommitCount { get; }
}
