namespace KvRaft.Linearizability;

/// <summary>The check of one key.</summary>
/// <param name="Key">The key.</param>
/// <param name="Verdict">Linearizable, not, or unknown (budget spent).</param>
/// <param name="OperationCount">Operations checked (ignored ones excluded).</param>
/// <param name="Steps">Search steps taken.</param>
/// <param name="Elapsed">Time the search took.</param>
/// <param name="Violation">Why it is not linearizable; null otherwise.</param>
public sealed record KeyOutcome(string Key, Verdict Verdict, int OperationCount, long Steps, TimeSpan Elapsed, Violation? Violation);
