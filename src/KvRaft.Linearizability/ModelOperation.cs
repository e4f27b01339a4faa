namespace KvRaft.Linearizability;

/// <summary>An operation compiled against a <see cref="ValueTable"/>: the model's step function.</summary>
internal readonly record struct ModelOperation(OperationKind Kind, bool IsUnknown, int Argument, int Expected, int Output, int Current = int.MinValue)
{
    /// <summary>Compiles <paramref name="operation"/>, interning its values.</summary>
    public static ModelOperation Compile(Operation operation, ValueTable values)
    {
        var argument = operation.Value is null ? ValueTable.Absent : values.Intern(operation.Value);
        var expected = operation.Expected is null ? ValueTable.Absent : values.Intern(operation.Expected);
        var output = operation.Kind switch
        {
            OperationKind.Get => values.Intern(operation.Output ?? ""),
            OperationKind.Cas => operation.Output == "true" ? 1 : 0,
            OperationKind.Delete => operation.Output switch { "true" => DeletedPresent, "false" => DeletedAbsent, _ => 0 },
            _ => 0,
        };
        var current = operation.Kind == OperationKind.Cas && operation.Current is { } found ? values.Intern(found) : NoCurrent;
        return new(operation.Kind, operation.Status == OperationStatus.Unknown, argument, expected, output, current);
    }

    /// <summary>No current value reported by a cas.</summary>
    public const int NoCurrent = int.MinValue;

    /// <summary>Delete's outputs: the key was there, or was absent (0: not reported).</summary>
    private const int DeletedPresent = 1, DeletedAbsent = 2;

    /// <summary>Applies the operation to <paramref name="state"/>; false when its output is impossible there.</summary>
    public bool Step(int state, ValueTable values, out int next)
    {
        next = state;
        switch (Kind)
        {
            case OperationKind.Get:
                return state == Output;
            case OperationKind.Put:
                next = Argument;
                return true;
            case OperationKind.Append:
                next = values.Append(state, Argument);
                return true;
            case OperationKind.Delete:
                next = ValueTable.Absent;
                return IsUnknown || Output == 0 || (Output == DeletedPresent) == (state != ValueTable.Absent);
            default:
                return StepCas(state, out next);
        }
    }

    private bool StepCas(int state, out int next)
    {
        var matches = state == Expected;
        next = matches ? Argument : state;
        if (IsUnknown)
        {
            return true;
        }
        return matches == (Output == 1) && (matches || Current == NoCurrent || Current == state);
    }
}
