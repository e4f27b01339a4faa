namespace KvRaft.Linearizability;

/// <summary>The answer for a key or a whole history.</summary>
public enum Verdict
{
    /// <summary>A linearization exists.</summary>
    Linearizable,
    /// <summary>No linearization exists.</summary>
    NotLinearizable,
    /// <summary>The search ran out of its step or time budget: no answer.</summary>
    Unknown,
}
