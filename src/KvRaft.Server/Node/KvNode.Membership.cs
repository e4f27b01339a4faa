using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// Membership changes (docs/design.md, "Membership"): proposed through the core, applied as the core applies them,
/// the configuration of each applied position recorded with the state machine (a snapshot stores the one of its own
/// index), and every change in effect told to the peer outbox so that the host can open or close peer connections.
/// </summary>
public sealed partial class KvNode
{
    // The configuration in effect at the state machine's applied index: the core's as of the last AcceptReady, moved
    // ahead by the Config entries of the Ready being applied (the core switches only once the Ready is accepted).
    // Equals _raft.Config between Readies.
    private ConfigState _appliedConfig = null!;
    // The member directory at the state machine's applied index, moved with _appliedConfig (each Config entry's
    // context, a restored snapshot's configuration section); names only members of _appliedConfig.
    private MemberDirectory _appliedDirectory = MemberDirectory.Empty;

    /// <summary>The configuration in effect on this node (the last one it applied or restored from a snapshot).</summary>
    public ConfigState Config => _raft.Config;

    /// <summary>
    /// Proposes a membership change (leader only): the core's verdict, a refusal appending nothing. The change takes
    /// effect on each node when it applies the entry; <paramref name="index"/> is the entry's when accepted.
    /// </summary>
    public ConfigChangeStatus ProposeConfigChange(ReadOnlySpan<ConfigChange> changes, ConfigTransition transition, out long index)
    {
        var status = _raft.ProposeConfigChange(changes, transition, out index);
        AfterInput();
        return status;
    }

    /// <summary>Proposes one change, in the simple form when it can be (see the overload).</summary>
    public ConfigChangeStatus ProposeConfigChange(ConfigChange change, out long index) =>
        ProposeConfigChange(new ReadOnlySpan<ConfigChange>(in change), ConfigTransition.Auto, out index);

    /// <summary>
    /// The state machine's command for a Config entry: a <see cref="KvOp.Configure"/> recording the configuration it
    /// leads to (what a snapshot of this index stores), or a no-op when it changes nothing (it does not decode or
    /// fit: every node skips it alike, as the core does).
    /// </summary>
    private KvCommand ConfigureCommand(in Entry entry)
    {
        if (!RaftNode.TryApplyConfigEntry(_appliedConfig, entry.Data.Span, out var next))
        {
            return new KvCommand(KvOp.Noop, default);
        }

        _appliedDirectory = NextDirectory(_appliedDirectory, next, entry.Data.Span);
        _appliedConfig = next;
        return new KvCommand(KvOp.Configure, default, ClusterMembership.Encode(next, _appliedDirectory));
    }

    /// <summary>
    /// The directory after a Config entry (leading to <paramref name="next"/>) is applied: the address records of its
    /// context, when they decode, set those of members; nodes no longer members are forgotten. A context that does
    /// not decode (no correct leader writes one) adds nothing, on every node alike.
    /// </summary>
    private static MemberDirectory NextDirectory(MemberDirectory current, ConfigState next, ReadOnlySpan<byte> data)
    {
        IReadOnlyList<MemberAddress> records = [];
        if (RaftNode.TryReadConfigEntry(data, out _, out var context) && context.Length > 0
            && MemberDirectory.TryRead(context, out var read, out var length) && length == context.Length)
        {
            records = read;
        }
        return current.Apply(records, next);
    }

    /// <summary>After a Ready was accepted: the core's configuration is the one applied here; a change goes to the outbox.</summary>
    private void AfterConfigApplied(ConfigState? changed)
    {
        if (!ReferenceEquals(_raft.Config, _appliedConfig))
        {
            Invariant.True(_raft.Config.Equals(_appliedConfig), _appliedConfig); // rare: only after a change
            _appliedConfig = _raft.Config; // the same object from now on: the check above costs one comparison a Ready
        }
        if (changed is null)
        {
            return;
        }

        _peers.OnMembersChanged(changed, _appliedDirectory);
    }

    /// <summary>
    /// At start: the directory stored with the configuration the core started from (the snapshot's, or the state
    /// machine's), moved by the Config entries between it and the applied index, as the core replays them.
    /// </summary>
    private MemberDirectory RecoverDirectory(long applied)
    {
        var snapshot = _machine.LatestSnapshot?.Info;
        var stored = snapshot?.Configuration ?? _machine.Configuration;
        var directory = ClusterMembership.DecodeDirectory(stored);
        var config = _storage.InitialState().Config;
        var entries = new List<LogEntry>();
        var next = Math.Max((snapshot?.Index ?? 0) + 1, _log.FirstIndex);
        while (next <= applied && next <= _log.LastIndex)
        {
            entries.Clear();
            _log.Read(next, Math.Min(applied, _log.LastIndex) + 1, _limits.AppendBytesMax, entries);
            foreach (var entry in entries)
            {
                if (entry.Type == (byte)EntryType.Config && RaftNode.TryApplyConfigEntry(config, entry.Data.Span, out var after))
                {
                    directory = NextDirectory(directory, after, entry.Data.Span);
                    config = after;
                }
            }
            next = entries[^1].Index + 1;
        }
        return directory;
    }

    /// <summary>The member directory in effect: members' addresses from the replicated configuration.</summary>
    public MemberDirectory Directory => _appliedDirectory;
}
