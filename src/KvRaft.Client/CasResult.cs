namespace KvRaft.Client;

/// <summary>The outcome of a compare-and-set on string values.</summary>
/// <param name="Swapped">True when the new value was set.</param>
/// <param name="Current">The key's value after the operation (the new value when swapped), or null when absent.</param>
public readonly record struct CasResult(bool Swapped, string? Current);

/// <summary>The outcome of a compare-and-set on byte values.</summary>
/// <param name="Swapped">True when the new value was set.</param>
/// <param name="Current">The key's value after the operation (the new value when swapped), or null when absent.</param>
public readonly record struct CasBytesResult(bool Swapped, byte[]? Current);
