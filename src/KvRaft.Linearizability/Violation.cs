using System.Globalization;
using System.Text;

namespace KvRaft.Linearizability;

/// <summary>Why one key is not linearizable: where the longest linearization found got stuck.</summary>
public sealed class Violation
{
    internal Violation(string key, Operation stuck, IReadOnlyList<Operation> concurrent,
        IReadOnlyList<Operation> longestPrefix, string stateAfterPrefix, long originNanoseconds)
    {
        Key = key;
        Stuck = stuck;
        Concurrent = concurrent;
        LongestPrefix = longestPrefix;
        StateAfterPrefix = stateAfterPrefix;
        OriginNanoseconds = originNanoseconds;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The operation that could not be linearized after the longest prefix (the earliest return left).</summary>
    public Operation Stuck { get; }

    /// <summary>The checked operations whose intervals overlap the stuck one's.</summary>
    public IReadOnlyList<Operation> Concurrent { get; }

    /// <summary>The longest linearizable prefix found, in linearization order.</summary>
    public IReadOnlyList<Operation> LongestPrefix { get; }

    /// <summary>The key's value after that prefix ("" = absent).</summary>
    public string StateAfterPrefix { get; }

    /// <summary>Times are shown in ms after this instant (the history's first call).</summary>
    public long OriginNanoseconds { get; }

    /// <summary>The report, showing at most <paramref name="prefixShown"/> last operations of the prefix.</summary>
    public string Describe(int prefixShown = 20)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"key {OperationFormatter.Quote(Key)} is not linearizable");
        text.AppendLine("  could not linearize:");
        text.AppendLine(CultureInfo.InvariantCulture, $"    {Format(Stuck)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  concurrent with it ({Concurrent.Count}):");
        foreach (var operation in Concurrent)
        {
            var place = Position(operation) is int index ? $"prefix #{index + 1}" : "not in prefix";
            text.AppendLine(CultureInfo.InvariantCulture, $"    {Format(operation)}  <{place}>");
        }
        AppendPrefix(text, prefixShown);
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();

    private void AppendPrefix(StringBuilder text, int prefixShown)
    {
        var skipped = Math.Max(0, LongestPrefix.Count - prefixShown);
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  longest linearizable prefix: {LongestPrefix.Count} operations, then value {OperationFormatter.Quote(StateAfterPrefix)}");
        if (skipped > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    ... {skipped} earlier operations not shown");
        }
        for (var i = skipped; i < LongestPrefix.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    #{i + 1} {Format(LongestPrefix[i])}");
        }
    }

    private int? Position(Operation operation)
    {
        for (var i = 0; i < LongestPrefix.Count; i++)
        {
            if (ReferenceEquals(LongestPrefix[i], operation))
            {
                return i;
            }
        }
        return null;
    }

    private string Format(Operation operation) => OperationFormatter.Format(operation, OriginNanoseconds);
}
