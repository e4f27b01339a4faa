using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// Membership changes (docs/design.md, "Membership"): a change travels as a Config entry and takes effect on each
/// node when that node applies it (as etcd-io/raft), one change at a time; a joint change is left by an entry the
/// leader proposes itself once it applied the one that entered it.
/// </summary>
public sealed partial class RaftNode
{
    // Leader: the index of the latest Config entry it appended, or of its first entry as leader (which may follow a
    // Config entry of an earlier term). No change is proposed until applied reaches it: one change at a time.
    private long _pendingConfigIndex;
    // The index whose application (or snapshot) put the configuration in effect: entries at or below it are not applied again.
    private long _configIndex;
    // The configuration changed since the last Ready: the next one carries it.
    private bool _configChanged;
    // Config entries handed out to apply in the outstanding Ready: they take effect when it is advanced.
    private readonly List<Entry> _readyConfigEntries = new();
    // Indexes of the Config entries in the log above the applied index, ascending (some may be at or below it until
    // pruned): kept as entries are appended, truncated and applied, so an election reads no log.
    private readonly List<long> _unappliedConfigIndexes = new();

    /// <summary>The configuration in effect on this node: the last one it applied (or restored from a snapshot).</summary>
    public ConfigState Config => _tracker.Config;

    /// <summary>
    /// Proposes a membership change: <paramref name="changes"/> are applied together, in the simple form when at most
    /// one voter changes and <paramref name="transition"/> is <see cref="ConfigTransition.Auto"/>, else through the
    /// joint state, which this leader (or the next) leaves on its own. Refusals are values and append nothing.
    /// </summary>
    public ConfigChangeStatus ProposeConfigChange(ReadOnlySpan<ConfigChange> changes, ConfigTransition transition, out long index) =>
        ProposeConfigChange(changes, transition, [], out index);

    /// <summary>
    /// <see cref="ProposeConfigChange(ReadOnlySpan{ConfigChange}, ConfigTransition, out long)"/> with a context: the
    /// host's bytes (at most <see cref="ConfigContextBytesMax"/>; a longer one is <see cref="ConfigChangeStatus.Invalid"/>)
    /// carried in the entry untouched and read back by every host that applies it (<see cref="TryReadConfigEntry"/>),
    /// e.g. the addresses of the members added.
    /// </summary>
    public ConfigChangeStatus ProposeConfigChange(ReadOnlySpan<ConfigChange> changes, ConfigTransition transition, ReadOnlySpan<byte> context, out long index)
    {
        index = 0;
        if (Role != Role.Leader)
        {
            return ConfigChangeStatus.NotLeader;
        }

        if (_leadTransferee != 0)
        {
            return ConfigChangeStatus.TransferInProgress;
        }

        if (_pendingConfigIndex > _log.Applied)
        {
            return ConfigChangeStatus.ChangePending;
        }

        if (transition is not (ConfigTransition.Auto or ConfigTransition.Joint) || context.Length > ConfigContextBytesMax)
        {
            return ConfigChangeStatus.Invalid;
        }

        var request = new ConfigChangeRequest(false, transition, changes.ToArray()) { Context = context.ToArray() };
        var status = ConfigChanger.TryApply(_tracker.Config, request, out _);
        if (status != ConfigChangeStatus.Accepted)
        {
            return status;
        }

        index = AppendConfigEntry(request);
        return ConfigChangeStatus.Accepted;
    }

    /// <summary>Proposes one change in the simple form (or joint, when it cannot be simple).</summary>
    public ConfigChangeStatus ProposeConfigChange(ConfigChange change, out long index) =>
        ProposeConfigChange(new ReadOnlySpan<ConfigChange>(in change), ConfigTransition.Auto, out index);

    private long AppendConfigEntry(in ConfigChangeRequest request)
    {
        var entry = new Entry(_log.LastIndex + 1, Term, EntryType.Config, ConfigChangeCodec.Encode(request));
        _log.Append(new ReadOnlySpan<Entry>(in entry));
        _unappliedConfigIndexes.Add(entry.Index);
        _pendingConfigIndex = entry.Index;
        BroadcastAppend();
        return entry.Index;
    }

    /// <summary>Leader in a joint state with auto-leave, having applied the entry that entered it: propose leaving it.</summary>
    private void MaybeLeaveJoint()
    {
        if (Role != Role.Leader || !_tracker.Config.AutoLeave || _leadTransferee != 0 || _pendingConfigIndex > _log.Applied)
        {
            return;
        }

        AppendConfigEntry(ConfigChangeRequest.Leave);
    }

    /// <summary>
    /// The host applied the outstanding Ready's committed entries: its Config entries take effect, in order; a leader
    /// in a joint state that has now applied the entry entering it (or, new, its first entry) proposes leaving it.
    /// </summary>
    private void ApplyReadyConfigEntries()
    {
        foreach (var entry in _readyConfigEntries)
        {
            ApplyConfigEntry(entry);
        }

        _readyConfigEntries.Clear();
        MaybeLeaveJoint();
    }

    /// <summary>
    /// A committed Config entry is applied. Every node applies the same entries to the same configurations, so all
    /// agree; an entry that does not decode or does not fit the configuration (no correct leader writes one) changes
    /// nothing, on every node alike.
    /// </summary>
    private void ApplyConfigEntry(in Entry entry)
    {
        if (entry.Index <= _configIndex)
        {
            return;
        }

        if (!TryApplyConfigEntry(_tracker.Config, entry.Data.Span, out var next))
        {
            return;
        }

        SwitchConfig(next, entry.Index);
    }

    /// <summary>
    /// The configuration the data of a Config entry leads to from <paramref name="current"/>, as every node applies it;
    /// false (and <paramref name="next"/> = <paramref name="current"/>) when it does not decode or does not fit. Pure:
    /// a host that mirrors the configuration at its applied index (to store it with a snapshot) uses it.
    /// </summary>
    public static bool TryApplyConfigEntry(ConfigState current, ReadOnlySpan<byte> data, out ConfigState next)
    {
        next = current;
        if (!ConfigChangeCodec.TryDecode(data, out var request))
        {
            return false;
        }

        return ConfigChanger.TryApply(current, request, out next) == ConfigChangeStatus.Accepted;
    }

    /// <summary>Longest context a membership change may carry.</summary>
    public const int ConfigContextBytesMax = ConfigChangeCodec.ContextBytesMax;

    /// <summary>
    /// The changes and context a Config entry's payload carries (none for a leave entry); false when it does not
    /// decode. Pure: the host reads the context of each entry it applies.
    /// </summary>
    public static bool TryReadConfigEntry(ReadOnlySpan<byte> data, out ConfigChange[] changes, out byte[] context)
    {
        changes = [];
        context = [];
        if (!ConfigChangeCodec.TryDecode(data, out var request))
        {
            return false;
        }

        (changes, context) = (request.Changes, request.Context);
        return true;
    }

    /// <summary>Whether <paramref name="data"/> is a Config entry's payload that decodes (it may still not fit a configuration).</summary>
    public static bool IsConfigEntryData(ReadOnlySpan<byte> data) => ConfigChangeCodec.TryDecode(data, out _);

    private void SwitchConfig(ConfigState config, long index)
    {
        _configIndex = index;
        _configChanged = true;
        _tracker.SwitchTo(config, _log.LastIndex + 1);
        if (Role == Role.Leader)
        {
            AfterLeaderConfigSwitch();
        }
        else if (Role != Role.Follower && !Promotable)
        {
            BecomeFollower(Term, 0); // a candidate removed from the voters gives up
        }
    }

    private void AfterLeaderConfigSwitch()
    {
        if (!_tracker.IsVoter(Id))
        {
            BecomeFollower(Term, 0); // removed: step down; the remaining voters elect a leader among themselves
            return;
        }
        if (_leadTransferee != 0 && !_tracker.IsVoter(_leadTransferee))
        {
            AbortLeadTransfer();
        }

        MaybeCommit(); // the quorum changed: so may the commit index
        BroadcastAppend(); // new members start probing; everyone learns the commit index
    }

    /// <summary>
    /// Whether a Config entry in this node's log is committed but not yet applied: campaigning now would count votes
    /// in a configuration older than one that may be in effect elsewhere (etcd-io/raft refuses to campaign then too).
    /// Every Config entry of a log but its last is committed (one change at a time: a leader appends one only once
    /// every earlier one in its log is applied), even when this node does not know it (its commit index is not
    /// durable, or it restarted): the commit index moves up to the last-but-one, so that it gets applied.
    /// Reads no log: the indexes of the Config entries are tracked as the log changes.
    /// </summary>
    private bool WaitsForConfigApply()
    {
        var applied = 0;
        while (applied < _unappliedConfigIndexes.Count && _unappliedConfigIndexes[applied] <= _log.Applied)
        {
            applied++;
        }

        _unappliedConfigIndexes.RemoveRange(0, applied);
        var count = _unappliedConfigIndexes.Count;
        if (count == 0)
        {
            return false;
        }

        if (count >= 2)
        {
            _log.CommitTo(_unappliedConfigIndexes[count - 2]);
        }

        return count >= 2 || _unappliedConfigIndexes[0] <= _log.Committed;
    }

    /// <summary>
    /// A follower's log now holds <paramref name="entries"/> (matched or appended) and, when it ends at
    /// <paramref name="lastNew"/>, nothing after them (a conflict truncated the rest): track its Config entries.
    /// </summary>
    private void TrackConfigEntries(ReadOnlySpan<Entry> entries, long lastNew)
    {
        if (entries.Length == 0)
        {
            return;
        }

        var first = entries[0].Index;
        var truncated = _log.LastIndex == lastNew;
        int kept = 0, below = 0;
        for (var i = 0; i < _unappliedConfigIndexes.Count; i++)
        {
            var index = _unappliedConfigIndexes[i];
            if (index >= first && (truncated || index <= lastNew))
            {
                continue; // replaced or truncated
            }

            _unappliedConfigIndexes[kept++] = index;
            if (index < first)
            {
                below++;
            }
        }
        _unappliedConfigIndexes.RemoveRange(kept, _unappliedConfigIndexes.Count - kept);
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.Config)
            {
                _unappliedConfigIndexes.Insert(below++, entry.Index);
            }
        }
    }

    /// <summary>
    /// At start: the storage's configuration is the one in effect at its snapshot's index; Config entries between it
    /// and what the host already applied took effect too (their application is not repeated): apply them here. The
    /// later ones are tracked for <see cref="WaitsForConfigApply"/>. Reads the log after the snapshot once.
    /// </summary>
    private void ReplayConfigEntries(IRaftStorage storage, long applied)
    {
        var entries = new List<Entry>();
        var next = Math.Max(_configIndex + 1, storage.FirstIndex);
        while (next <= storage.LastIndex)
        {
            entries.Clear();
            storage.GetEntries(next, storage.LastIndex + 1, _config.CommittedBytesPerReadyMax, entries);
            foreach (var entry in entries)
            {
                if (entry.Type != EntryType.Config)
                {
                    continue;
                }

                if (entry.Index <= applied)
                {
                    ApplyConfigEntry(entry);
                }
                else
                {
                    _unappliedConfigIndexes.Add(entry.Index);
                }
            }
            next = entries[^1].Index + 1;
        }
        _configChanged = false;
    }
}
