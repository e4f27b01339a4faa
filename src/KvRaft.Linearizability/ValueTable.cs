namespace KvRaft.Linearizability;

/// <summary>
/// Interns every value one key can hold, so that a model state is an int and state equality is
/// an int comparison. Id 0 is "" (absent). Appends are memoized: (state, suffix) -> state.
/// </summary>
internal sealed class ValueTable
{
    public const int Absent = 0;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { [""] = Absent };
    private readonly List<string> _values = [""];
    private readonly Dictionary<long, int> _appends = [];

    /// <summary>The id of <paramref name="value"/>, assigned on first sight.</summary>
    public int Intern(string value)
    {
        if (!_ids.TryGetValue(value, out var id))
        {
            id = _values.Count;
            _values.Add(value);
            _ids.Add(value, id);
        }
        return id;
    }

    /// <summary>The value with id <paramref name="id"/>.</summary>
    public string this[int id] => _values[id];

    /// <summary>The id of the value <paramref name="state"/> followed by <paramref name="suffix"/>.</summary>
    public int Append(int state, int suffix)
    {
        var pair = ((long)state << 32) | (uint)suffix;
        if (!_appends.TryGetValue(pair, out var id))
        {
            id = Intern(string.Concat(_values[state], _values[suffix]));
            _appends.Add(pair, id);
        }
        return id;
    }
}
