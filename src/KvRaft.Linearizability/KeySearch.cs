namespace KvRaft.Linearizability;

/// <summary>What the search of one key found.</summary>
/// <param name="Verdict">Linearizable, not, or unknown (budget spent).</param>
/// <param name="LongestPrefix">For a violation: the longest linearizable prefix, as operation numbers.</param>
/// <param name="Stuck">For a violation: the operation that could not follow that prefix; -1 otherwise.</param>
/// <param name="StateAfterPrefix">For a violation: the model state after the prefix.</param>
internal sealed record SearchOutcome(Verdict Verdict, int[] LongestPrefix, int Stuck, string StateAfterPrefix);

/// <summary>
/// Wing and Gong's depth-first search for a linearization with Lowe's memoization, over one
/// key's events (as Porcupine's checkSingle). Walks the event list from the head: a call whose
/// operation can step the model is linearized (lifted) unless the resulting configuration was
/// seen before; reaching a return means the operation returning there cannot be placed next, so
/// the search backtracks. It succeeds once every completed operation is linearized: operations of
/// unknown outcome return at +infinity, so they may be left out (never took effect). On a key only appended to
/// and read, appends that leave the line of the longest value read are cut at once (<see cref="LeavesTheReadValues"/>).
/// </summary>
internal sealed class KeySearch(KeyHistory history, SearchBudget budget)
{
    private readonly EventList _events = history.Events();
    private readonly LinearizedSet _linearized = new(history.CompletedCount, history.UnknownCount);
    private readonly StateCache _cache = new();
    private readonly (int Call, int State)[] _stack = new (int, int)[history.Operations.Count];
    private readonly int[] _longest = new int[history.Operations.Count];
    private int _depth;
    private int _longestLength = -1;
    private int _agreeing; // how many bottom entries of the stack equal the start of _longest
    private int _stuck = -1;
    private int _stuckState;

    public SearchOutcome Run()
    {
        var state = ValueTable.Absent;
        var node = _events.Next(EventList.Head);
        while (_linearized.CompletedLinearized < history.CompletedCount)
        {
            if (!budget.Spend())
            {
                return new SearchOutcome(Verdict.Unknown, [], -1, "");
            }
            if (_events.IsCall(node))
            {
                node = TryLinearize(node, ref state);
                continue;
            }
            if (_depth == 0)
            {
                RecordLongest(node, state);
                return new SearchOutcome(Verdict.NotLinearizable, _longest[.._longestLength], _stuck, history.Values[_stuckState]);
            }
            RecordLongest(node, state);
            node = Backtrack(ref state);
        }
        return new SearchOutcome(Verdict.Linearizable, [], -1, "");
    }

    /// <summary>Lifts the call at <paramref name="node"/> if it steps the model to a new configuration; returns the next node to try.</summary>
    private int TryLinearize(int node, ref int state)
    {
        var operation = _events.Operation(node);
        if (!history.Model[operation].Step(state, history.Values, out var next) || LeavesTheReadValues(operation, next))
        {
            return _events.Next(node);
        }
        _linearized.Add(operation);
        if (!_cache.TryAdd(_linearized, next))
        {
            _linearized.Remove(operation);
            return _events.Next(node);
        }
        if (_agreeing == _depth && _depth < _longestLength && _longest[_depth] == operation)
        {
            _agreeing++;
        }
        _stack[_depth++] = (node, state);
        state = next;
        _events.Lift(node);
        return _events.Next(EventList.Head);
    }

    /// <summary>
    /// On a key only appended to and read, an append whose result is not on the line of the longest value read
    /// (neither its prefix nor an extension of it) can lead nowhere: every state of a linearization is a prefix of
    /// the final value, and so is that read. Without this cut, appends that overlap many others (calls retried across
    /// a leader change) were tried at every place in turn, each order a new state to the memo: 226 operations of four
    /// clients on one key once spent the whole budget (15 million steps).
    /// </summary>
    private bool LeavesTheReadValues(int operation, int next)
    {
        if (history.LongestRead is not { } longest || history.Model[operation].Kind != OperationKind.Append)
        {
            return false;
        }
        var value = history.Values[next];
        return value.Length <= longest.Length
            ? !longest.StartsWith(value, StringComparison.Ordinal)
            : !value.StartsWith(longest, StringComparison.Ordinal);
    }

    private int Backtrack(ref int state)
    {
        (var call, var previous) = _stack[--_depth];
        _agreeing = Math.Min(_agreeing, _depth);
        state = previous;
        _linearized.Remove(_events.Operation(call));
        _events.Unlift(call);
        return _events.Next(call);
    }

    /// <summary>Keeps the current stack as the longest prefix when it is longer; copies only where it differs.</summary>
    private void RecordLongest(int stuckNode, int state)
    {
        if (_depth <= _longestLength)
        {
            return;
        }
        for (var i = _agreeing; i < _depth; i++)
        {
            _longest[i] = _events.Operation(_stack[i].Call);
        }
        _longestLength = _agreeing = _depth;
        _stuck = _events.Operation(stuckNode);
        _stuckState = state;
    }
}
