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

        _appliedConfig = next;
        return new KvCommand(KvOp.Configure, default, ClusterMembership.Encode(next));
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

        _peers.OnMembersChanged(changed);
    }
}
