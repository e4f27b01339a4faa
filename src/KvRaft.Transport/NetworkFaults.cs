namespace KvRaft.Transport;

/// <summary>
/// A controllable <see cref="IFaultInjector"/>: one-way cuts between named nodes, whole-node
/// isolation, and seeded random loss and delay. Thread-safe: the rules are one immutable value
/// swapped atomically, so a decision never sees half a change. One instance may be shared by every
/// node of an in-process cluster (decisions take both node ids), or each server process holds its
/// own and a controller sends every node the same rules.
/// </summary>
public sealed class NetworkFaults : IFaultInjector
{
    private readonly object _randomLock = new();
    private readonly Random _random;
    private Rules _rules = Rules.None;

    /// <summary>Faults whose random loss and delay follow <paramref name="seed"/>.</summary>
    public NetworkFaults(int seed) => _random = new Random(seed);

    /// <summary>The nodes cut off from every other node.</summary>
    public IReadOnlySet<int> Isolated => _rules.Isolated;

    /// <summary>True when no rule is in force.</summary>
    public bool IsHealed => ReferenceEquals(_rules, Rules.None) || _rules.IsEmpty;

    /// <inheritdoc />
    public FaultDecision Decide(int fromNodeId, int toNodeId)
    {
        Rules rules = Volatile.Read(ref _rules);
        if (rules.IsEmpty) return FaultDecision.Deliver;
        if (rules.Isolated.Contains(fromNodeId) || rules.Isolated.Contains(toNodeId)) return FaultDecision.Drop;
        if (rules.Cuts.Contains((fromNodeId, toNodeId))) return FaultDecision.Drop;
        if (rules.DropPercent == 0 && rules.DelayMillisecondsMax == 0) return FaultDecision.Deliver;
        lock (_randomLock)
        {
            if (rules.DropPercent > 0 && _random.Next(100) < rules.DropPercent) return FaultDecision.Drop;
            if (rules.DelayMillisecondsMax > 0) return FaultDecision.Delay(_random.Next(rules.DelayMillisecondsMax + 1));
        }
        return FaultDecision.Deliver;
    }

    /// <summary>Cuts <paramref name="nodeId"/> off from every other node, both ways.</summary>
    public void Isolate(int nodeId) => Update(rules => rules with { Isolated = new HashSet<int>(rules.Isolated) { nodeId } });

    /// <summary>Splits the nodes into groups that cannot reach each other (nodes in no group reach everyone).</summary>
    public void Partition(params IReadOnlyList<int>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var cuts = new HashSet<(int, int)>();
        foreach (var left in groups)
        {
            foreach (var right in groups)
            {
                if (ReferenceEquals(left, right)) continue;
                foreach (int from in left)
                {
                    foreach (int to in right) cuts.Add((from, to));
                }
            }
        }
        Update(rules => rules with { Cuts = cuts });
    }

    /// <summary>Drops every message from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> (one way).</summary>
    public void Cut(int fromNodeId, int toNodeId) =>
        Update(rules => rules with { Cuts = new HashSet<(int, int)>(rules.Cuts) { (fromNodeId, toNodeId) } });

    /// <summary>Drops <paramref name="dropPercent"/>% of all other messages and delays the rest by 0..<paramref name="delayMillisecondsMax"/> ms.</summary>
    public void SetUnreliable(int dropPercent, int delayMillisecondsMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dropPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dropPercent, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(delayMillisecondsMax);
        Update(rules => rules with { DropPercent = dropPercent, DelayMillisecondsMax = delayMillisecondsMax });
    }

    /// <summary>Removes every cut, isolation and loss: the network is whole again.</summary>
    public void Heal() => Volatile.Write(ref _rules, Rules.None);

    /// <summary>The rules in force, e.g. "isolated: 2; cuts: 1->3 3->1; drop 0%, delay up to 0 ms", or "no faults".</summary>
    public override string ToString()
    {
        Rules rules = Volatile.Read(ref _rules);
        if (rules.IsEmpty) return "no faults";
        string isolated = rules.Isolated.Count == 0 ? "none" : string.Join(' ', rules.Isolated.Order());
        string cuts = rules.Cuts.Count == 0 ? "none" : string.Join(' ', rules.Cuts.Order().Select(cut => $"{cut.From}->{cut.To}"));
        return $"isolated: {isolated}; cuts: {cuts}; drop {rules.DropPercent}%, delay up to {rules.DelayMillisecondsMax} ms";
    }

    private void Update(Func<Rules, Rules> change)
    {
        Rules current, next;
        do
        {
            current = Volatile.Read(ref _rules);
            next = change(current);
        }
        while (!ReferenceEquals(Interlocked.CompareExchange(ref _rules, next, current), current));
    }

    private sealed record Rules(IReadOnlySet<int> Isolated, IReadOnlySet<(int From, int To)> Cuts, int DropPercent, int DelayMillisecondsMax)
    {
        public static readonly Rules None = new(new HashSet<int>(), new HashSet<(int, int)>(), 0, 0);

        public bool IsEmpty => Isolated.Count == 0 && Cuts.Count == 0 && DropPercent == 0 && DelayMillisecondsMax == 0;
    }
}
