using System.Globalization;
using System.Text;

namespace KvRaft.Linearizability;

/// <summary>The check of a whole history: one outcome per key.</summary>
public sealed class CheckResult
{
    internal CheckResult(IReadOnlyList<KeyOutcome> keys, int operationCount, TimeSpan elapsed)
    {
        Keys = keys;
        OperationCount = operationCount;
        Elapsed = elapsed;
    }

    /// <summary>Every key's outcome, by key.</summary>
    public IReadOnlyList<KeyOutcome> Keys { get; }

    /// <summary>Operations read (ignored ones included).</summary>
    public int OperationCount { get; }

    /// <summary>Wall-clock time of the check.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>NotLinearizable if any key is; else Unknown if any key is; else Linearizable.</summary>
    public Verdict Verdict =>
        Keys.Any(k => k.Verdict == Verdict.NotLinearizable) ? Verdict.NotLinearizable
        : Keys.Any(k => k.Verdict == Verdict.Unknown) ? Verdict.Unknown
        : Verdict.Linearizable;

    /// <summary>True only when every key was proved linearizable.</summary>
    public bool IsLinearizable => Verdict == Verdict.Linearizable;

    /// <summary>The violations found, one per key that is not linearizable.</summary>
    public IEnumerable<Violation> Violations => Keys.Select(k => k.Violation).OfType<Violation>();

    /// <summary>One summary line, then every violation and the keys left unknown.</summary>
    public string Describe(int prefixShown = 20)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{Verdict}: {OperationCount} operations, {Keys.Count} keys, {Elapsed.TotalMilliseconds:0} ms");
        foreach (var violation in Violations)
        {
            text.Append(violation.Describe(prefixShown));
        }
        foreach (var key in Keys.Where(k => k.Verdict == Verdict.Unknown))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"key {OperationFormatter.Quote(key.Key)}: unknown (timed out after {key.Steps} steps, {key.Elapsed.TotalSeconds:0.0} s)");
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
