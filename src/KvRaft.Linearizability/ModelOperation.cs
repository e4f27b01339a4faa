namespace KvRaft.Linearizability;

/// <summary>An operation compiled against a <see cref="ValueTable"/>: the model's step function.</summary>
internal readonly record struct ModelOperation(OperationKind Kind, bool IsUnknown, int Argument, int Expected, int Output)
{
    /// <summary>Compiles <paramref name="operation"/>, interning its values.</summary>
    public static ModelOperation Compile(Operation operation, ValueTable values)
    {
        int argument = operation.Value is null ? ValueTable.Absent : values.Intern(operation.Value);
        int expected = operation.Expected is null ? ValueTable.Absent : values.Intern(operation.Expected);
        int output = operation.Kind switch
        {
            OperationKind.Get => values.Intern(operation.Output ?? ""),
            OperationKind.Cas => operation.Output == "true" ? 1 : 0,
            _ => 0,
        };
        return new(operation.Kind, operation.Status == OperationStatus.Unknown, argument, expected, output);
    }

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
                return true;
            default:
                return StepCas(state, out next);
        }
    }

    private bool StepCas(int state, out int next)
    {
        bool matches = state == Expected;
        next = matches ? Argument : state;
        return IsUnknown || matches == (Output == 1);
    }
}
