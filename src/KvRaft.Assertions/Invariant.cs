using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace KvRaft;

/// <summary>
/// Assertions that stay on in release builds. A failed invariant is a bug in this process:
/// it throws <see cref="InvariantException"/> naming the condition, and the host stops the node
/// rather than run on with a state it cannot trust.
/// </summary>
public static class Invariant
{
    /// <summary>Asserts that <paramref name="condition"/> holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void True(
        [DoesNotReturnIf(false)] bool condition,
        [CallerArgumentExpression(nameof(condition))] string expression = "")
    {
        if (!condition)
        {
            Fail(expression);
        }
    }

    /// <summary>Asserts that <paramref name="condition"/> holds, with a detail built only on failure.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void True<TDetail>(
        [DoesNotReturnIf(false)] bool condition,
        TDetail detail,
        [CallerArgumentExpression(nameof(condition))] string expression = "")
    {
        if (!condition)
        {
            Fail(expression + " (" + detail + ")");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string expression) => throw new InvariantException(expression);
}

/// <summary>Thrown when an invariant does not hold.</summary>
public sealed class InvariantException : Exception
{
    /// <summary>Creates the exception for the failed condition.</summary>
    public InvariantException(string expression) : base("Invariant failed: " + expression) { }

    /// <summary>Creates the exception with no detail.</summary>
    public InvariantException() { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public InvariantException(string message, Exception innerException) : base(message, innerException) { }
}
