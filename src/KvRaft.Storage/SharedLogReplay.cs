namespace KvRaft.Storage;

/// <summary>
/// Rebuilds every group of a <see cref="SharedRaftLog"/> from one scan: each record goes to its group
/// (<see cref="SharedLogGroup.Replay"/>). More groups than <see cref="StorageLimits.LogGroupsMax"/> are refused.
/// </summary>
internal sealed class SharedLogReplay(SharedRaftLog owner, string logPath) : ILogReplaySink<GroupRecordHeader>
{
    /// <summary>Every group found so far, by id.</summary>
    public Dictionary<int, SharedLogGroup> Groups { get; } = [];

    public void Begin(long beginAddress, long endAddress)
    {
    }

    public bool TryDecode(ReadOnlySpan<byte> record, long address, out GroupRecordHeader view) => SharedLogRecord.TryDecodeHeader(record, out view);

    public string? Apply(in GroupRecordHeader view, long address)
    {
        if (view.Group < 0)
        {
            return $"a record of group {view.Group} (group ids are not negative)";
        }
        if (!Groups.TryGetValue(view.Group, out var group))
        {
            if (Groups.Count >= owner.Limits.LogGroupsMax)
            {
                throw new StorageCorruptException(
                    $"{logPath} holds records of more than {owner.Limits.LogGroupsMax} groups (StorageLimits.LogGroupsMax): open it with a higher limit");
            }
            group = new SharedLogGroup(owner, view.Group);
            Groups.Add(view.Group, group);
        }
        return group.Replay(view.Record, address);
    }
}
