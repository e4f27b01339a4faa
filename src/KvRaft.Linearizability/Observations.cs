namespace KvRaft.Linearizability;

/// <summary>What the completed operations of one key observed: the values read and compared.</summary>
internal sealed class Observations
{
    private readonly HashSet<string> _read; // what completed gets read and what any cas expects
    private readonly Dictionary<string, long> _firstExactReturn = new(StringComparer.Ordinal);
    private readonly HashSet<string> _appended;
    private readonly Dictionary<string, int> _writers = new(StringComparer.Ordinal);
    private readonly long _lastFailedCasReturn = long.MinValue;
    private readonly bool _deleteFoundValue; // a completed delete reported a value present: any write may be its cause

    public Observations(List<Operation> operations)
    {
        List<Operation> completed = [.. operations.Where(o => o.Status == OperationStatus.Completed)];
        _read = [.. completed.Select(Observed).OfType<string>(),
            .. operations.Where(o => o.Kind == OperationKind.Cas).Select(o => o.Expected!)];
        foreach (var observer in completed.Where(o => Observed(o) is not null))
        {
            var value = Observed(observer)!;
            _firstExactReturn[value] = Math.Min(_firstExactReturn.GetValueOrDefault(value, long.MaxValue), observer.ReturnNanoseconds);
        }
        _appended = [.. operations.Where(o => o.Kind == OperationKind.Append).Select(o => o.Value!)];
        foreach (var write in operations.Where(o => o.Value is not null))
        {
            _writers[write.Value!] = _writers.GetValueOrDefault(write.Value!) + 1;
        }
        _deleteFoundValue = completed.Any(o => o.Kind == OperationKind.Delete && o.Output == "true");
        foreach (var cas in completed.Where(o => o.Kind == OperationKind.Cas && o.Output == "false"))
        {
            _lastFailedCasReturn = Math.Max(_lastFailedCasReturn, cas.ReturnNanoseconds);
        }
    }

    /// <summary>True when no completed operation can have depended on <paramref name="write"/>.</summary>
    public bool IsUnseen(Operation write)
    {
        if (write.Kind == OperationKind.Get || _lastFailedCasReturn >= write.CallNanoseconds
            || (write.Kind == OperationKind.Delete && _appended.Count > 0) || _deleteFoundValue)
        {
            return false; // a delete followed by appends shows in values that do not read ""
        }
        var value = write.Kind == OperationKind.Delete ? "" : write.Value!;
        if (value.Length == 0 || _appended.Count == 0)
        {
            return !_read.Contains(value);
        }
        return !_read.Any(read => read.Contains(value, StringComparison.Ordinal));
    }

    /// <summary>The return of the first exact read of the write's value, when only this write can produce it.</summary>
    public long? Deadline(Operation write)
    {
        if (write.Kind is not (OperationKind.Put or OperationKind.Cas) || string.IsNullOrEmpty(write.Value)
            || _writers[write.Value] != 1 || !_firstExactReturn.TryGetValue(write.Value, out var deadline))
        {
            return null;
        }
        return IsAppendChain(write.Value, 0, skipWhole: true) ? null : deadline;
    }

    /// <summary>What a completed get read, or the value a completed swapping cas found; null otherwise.</summary>
    private static string? Observed(Operation operation) => operation.Kind switch
    {
        OperationKind.Get => operation.Output,
        OperationKind.Cas when operation.Output == "true" => operation.Expected,
        OperationKind.Cas when operation.Current is not null => operation.Current,
        OperationKind.Delete when operation.Output == "false" => "",
        _ => null,
    };

    /// <summary>Whether value[start..] is a written value (other than the whole) followed by appended values.</summary>
    private bool IsAppendChain(string value, int start, bool skipWhole)
    {
        if (start == value.Length)
        {
            return true;
        }
        for (var end = start + 1; end <= value.Length; end++)
        {
            var piece = value[start..end];
            var usable = start == 0 ? _writers.ContainsKey(piece) : _appended.Contains(piece);
            if (usable && !(skipWhole && end == value.Length) && IsAppendChain(value, end, false))
            {
                return true;
            }
        }
        return false;
    }
}
