using System.Net.Sockets;
using KvRaft.Client;
using KvRaft.Protocol;
using KvRaft.Transport;

namespace KvRaft.LocalCluster;

/// <summary>
/// Network faults of a local cluster. In-process nodes share one <see cref="NetworkFaults"/>; process
/// nodes (started with <see cref="LocalClusterOptions.FaultControl"/>) each hold their own, so every
/// rule is sent to every running node, and a node that missed rules (paused, restarted) is sent them
/// all again (after a heal) when it comes back.
/// </summary>
public sealed partial class LocalCluster
{
    private readonly NetworkFaults _sharedFaults = new(seed: 1);
    private readonly HashSet<int> _paused = [];
    private readonly HashSet<int> _stale = [];
    private readonly List<FaultControlRequest> _rules = [];
    private readonly SemaphoreSlim _faultLock = new(1, 1);

    /// <summary>The fault rules in force since the last heal, in the order they were given.</summary>
    public IReadOnlyList<string> FaultRules
    {
        get
        {
            lock (_rules) return [.. _rules.Select(rule => rule.Describe())];
        }
    }

    /// <summary>
    /// Cuts node <paramref name="nodeId"/> off from every other node, both ways. Every running node is
    /// told, the isolated node first: from its answer on it sends nothing.
    /// </summary>
    public Task IsolateAsync(int nodeId, CancellationToken cancellation = default) => IsolateAsync(nodeId, null, cancellation);

    /// <summary>
    /// As <see cref="IsolateAsync(int, CancellationToken)"/>; <paramref name="isolatedNodeTold"/> is called
    /// as soon as the isolated node has the rule (when the isolation starts to act), before the others are told.
    /// </summary>
    public Task IsolateAsync(int nodeId, Action? isolatedNodeTold, CancellationToken cancellation = default) =>
        ApplyAsync(new FaultControlRequest { Action = FaultControlAction.Isolate, NodeId = CheckNode(nodeId) }, cancellation, isolatedNodeTold);

    /// <summary>Splits the nodes into <paramref name="groups"/> that cannot reach each other (replaces earlier partitions and cuts).</summary>
    public Task PartitionAsync(IReadOnlyList<IReadOnlyList<int>> groups, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (int id in groups.SelectMany(group => group)) CheckNode(id);
        return ApplyAsync(new FaultControlRequest { Action = FaultControlAction.Partition, Groups = groups }, cancellation);
    }

    /// <summary>Drops every message from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> (one way).</summary>
    public Task CutAsync(int fromNodeId, int toNodeId, CancellationToken cancellation = default) =>
        ApplyAsync(new FaultControlRequest { Action = FaultControlAction.Cut, NodeId = CheckNode(fromNodeId), ToNodeId = CheckNode(toNodeId) }, cancellation);

    /// <summary>Removes every fault rule on every running node.</summary>
    public Task HealAsync(CancellationToken cancellation = default) =>
        ApplyAsync(new FaultControlRequest { Action = FaultControlAction.Heal }, cancellation);

    /// <summary>SIGCONT node <paramref name="id"/>, then sends it the fault rules it missed while paused.</summary>
    public async Task ResumeAsync(int id, CancellationToken cancellation = default)
    {
        Resume(id);
        await _faultLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (_stale.Remove(id)) await SendRulesAsync(id, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _faultLock.Release();
        }
    }

    /// <summary>A restarted process node starts with no rules: it is sent those in force, if any.</summary>
    private async Task SendRulesToRestartedAsync(int id)
    {
        await _faultLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _stale.Remove(id);
            bool any;
            lock (_rules) any = _rules.Count > 0;
            if (any) await SendRulesAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _faultLock.Release();
        }
    }

    private bool IsPaused(int id)
    {
        lock (_paused) return _paused.Contains(id);
    }

    private int CheckNode(int id)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, NodeCount);
        return id;
    }

    private async Task ApplyAsync(FaultControlRequest rule, CancellationToken cancellation, Action? firstTold = null)
    {
        if (_options.Mode == LocalClusterMode.Processes && !_options.FaultControl)
        {
            throw new InvalidOperationException("network faults need a cluster started with LocalClusterOptions.FaultControl");
        }
        await _faultLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            lock (_rules)
            {
                if (rule.Action == FaultControlAction.Heal) _rules.Clear();
                else _rules.Add(rule);
            }
            if (_options.Mode == LocalClusterMode.InProcess)
            {
                ApplyShared(rule);
                firstTold?.Invoke();
                return;
            }
            int first = rule.Action == FaultControlAction.Isolate ? rule.NodeId : 0;
            if (first != 0 && await SendToNodeAsync(first, rule, cancellation).ConfigureAwait(false)) firstTold?.Invoke();
            await Task.WhenAll(Enumerable.Range(1, NodeCount).Where(id => id != first)
                .Select(id => SendToNodeAsync(id, rule, cancellation))).ConfigureAwait(false);
        }
        finally
        {
            _faultLock.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="rule"/> to a running process node (all the rules if it missed some); true
    /// when it was told. A paused node is not: it will be sent the rules when it resumes.
    /// </summary>
    private async Task<bool> SendToNodeAsync(int id, FaultControlRequest rule, CancellationToken cancellation)
    {
        if (_processes[id - 1] is not { HasExited: false }) return false;
        if (IsPaused(id))
        {
            _stale.Add(id);
            return false;
        }
        await (_stale.Remove(id) ? SendRulesAsync(id, cancellation) : SendWithRetryAsync(id, rule, cancellation)).ConfigureAwait(false);
        return true;
    }

    private void ApplyShared(in FaultControlRequest rule)
    {
        switch (rule.Action)
        {
            case FaultControlAction.Isolate:
                _sharedFaults.Isolate(rule.NodeId);
                break;
            case FaultControlAction.Partition:
                _sharedFaults.Partition([.. rule.Groups!]);
                break;
            case FaultControlAction.Cut:
                _sharedFaults.Cut(rule.NodeId, rule.ToNodeId);
                break;
            default:
                _sharedFaults.Heal();
                break;
        }
    }

    /// <summary>Brings a process node's rules to the cluster's: heal, then every rule in force, in order.</summary>
    private async Task SendRulesAsync(int id, CancellationToken cancellation)
    {
        if (_options.Mode == LocalClusterMode.InProcess || !_options.FaultControl) return;
        FaultControlRequest[] rules;
        lock (_rules) rules = [new FaultControlRequest { Action = FaultControlAction.Heal }, .. _rules];
        foreach (FaultControlRequest rule in rules) await SendWithRetryAsync(id, rule, cancellation).ConfigureAwait(false);
    }

    /// <summary>Sends one rule; a node that is (re)starting refuses connections for a moment, so those are retried until the start timeout.</summary>
    private async Task SendWithRetryAsync(int id, FaultControlRequest rule, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_options.StartTimeout);
        while (true)
        {
            try
            {
                await FaultControl.SendAsync(ClientEndpoints[id - 1], rule, TimeSpan.FromSeconds(5), deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(50, deadline.Token).ConfigureAwait(false); // a starting process: no event to wait on
            }
        }
    }
}
