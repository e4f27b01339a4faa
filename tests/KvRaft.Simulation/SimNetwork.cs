using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>A message in flight, with the snapshot bytes that travel beside a Snapshot message.</summary>
internal readonly record struct Envelope(Message Message, SnapshotData? SnapshotData);

/// <summary>
/// The simulated network: per-message delay, loss, duplication and reordering, and partitions,
/// all drawn from the run's one PRNG.
/// </summary>
internal sealed class SimNetwork
{
    private const int DelayTicksLimit = 16;
    private readonly List<Envelope>[] _buckets = new List<Envelope>[DelayTicksLimit];
    private readonly Prng _random;
    private readonly HashSet<(int, int)> _cut = new();

    public SimNetwork(Prng random)
    {
        _random = random;
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = new List<Envelope>();
    }

    public double DropProbability { get; set; }

    public double DuplicateProbability { get; set; }

    public int DelayTicksMax { get; set; } = 2;

    /// <summary>Deliver messages due in the same tick in a random order (off: in the order sent, like TCP).</summary>
    public bool Reorder { get; set; } = true;

    public bool IsPartitioned => _cut.Count > 0;

    public bool IsCut(int from, int to) => _cut.Contains((from, to));

    public void Cut(int from, int to) => _cut.Add((from, to));

    public void Heal() => _cut.Clear();

    /// <summary>Queues a message for a later tick; false when it is lost at once.</summary>
    public bool Send(long tick, Envelope envelope)
    {
        Message message = envelope.Message;
        if (IsCut(message.From, message.To) || _random.Chance(DropProbability)) return false;
        Enqueue(tick, envelope);
        if (_random.Chance(DuplicateProbability)) Enqueue(tick, envelope);
        return true;
    }

    private void Enqueue(long tick, Envelope envelope)
    {
        int delay = 1 + _random.Next(DelayTicksMax);
        _buckets[(tick + delay) % DelayTicksLimit].Add(envelope);
    }

    /// <summary>The messages due at <paramref name="tick"/>, shuffled (the caller checks partitions again on arrival).</summary>
    public List<Envelope> TakeDue(long tick, List<Envelope> into)
    {
        List<Envelope> bucket = _buckets[tick % DelayTicksLimit];
        into.Clear();
        into.AddRange(bucket);
        bucket.Clear();
        if (!Reorder) return into;
        for (int i = into.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (into[i], into[j]) = (into[j], into[i]);
        }
        return into;
    }
}
