namespace KvRaft.Linearizability;

/// <summary>
/// The call and return events of one key's operations, sorted by time (calls before returns at
/// equal times), as a doubly linked list over arrays. Node 0 is the head sentinel. Lifting an
/// operation unlinks its call and return; unlifting relinks them (the search undoes lifts in
/// reverse order, so the neighbours are the same as when it was lifted).
/// </summary>
internal sealed class EventList
{
    private readonly int[] _next;
    private readonly int[] _previous;
    private readonly int[] _match;
    private readonly int[] _operation;

    /// <summary>Builds the list; <paramref name="returns"/> is long.MaxValue for unknown outcomes.</summary>
    public EventList(IReadOnlyList<long> calls, IReadOnlyList<long> returns)
    {
        var count = calls.Count;
        var events = new (long Time, int IsReturn, int Operation)[2 * count];
        for (var i = 0; i < count; i++)
        {
            events[2 * i] = (calls[i], 0, i);
            events[2 * i + 1] = (returns[i], 1, i);
        }
        Array.Sort(events);
        _next = new int[events.Length + 1];
        _previous = new int[events.Length + 1];
        _match = new int[events.Length + 1];
        _operation = new int[events.Length + 1];
        Link(events);
    }

    public const int Head = 0;

    public int Next(int node) => _next[node];

    public bool IsCall(int node) => _match[node] > 0;

    public int Operation(int node) => _operation[node];

    public void Lift(int call)
    {
        Unlink(call);
        Unlink(_match[call]);
    }

    public void Unlift(int call)
    {
        Relink(_match[call]);
        Relink(call);
    }

    private void Link((long Time, int IsReturn, int Operation)[] events)
    {
        var returnNode = new int[events.Length / 2];
        for (var node = events.Length; node >= 1; node--)
        {
            (_, var isReturn, var operation) = events[node - 1];
            _operation[node] = operation;
            _match[node] = isReturn == 1 ? -1 : returnNode[operation];
            if (isReturn == 1)
            {
                returnNode[operation] = node;
            }
            _previous[node] = node - 1;
            _next[node] = node == events.Length ? -1 : node + 1;
        }
        _next[Head] = events.Length == 0 ? -1 : 1;
        _operation[Head] = -1;
    }

    private void Unlink(int node)
    {
        _next[_previous[node]] = _next[node];
        if (_next[node] >= 0)
        {
            _previous[_next[node]] = _previous[node];
        }
    }

    private void Relink(int node)
    {
        _next[_previous[node]] = node;
        if (_next[node] >= 0)
        {
            _previous[_next[node]] = node;
        }
    }
}
