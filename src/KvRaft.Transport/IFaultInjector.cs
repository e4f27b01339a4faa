namespace KvRaft.Transport;

/// <summary>Test hook: decides, per message sent, whether it is delivered, dropped or delayed.</summary>
public interface IFaultInjector
{
    /// <summary>The fate of one message (or snapshot chunk) from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/>.</summary>
    FaultDecision Decide(int fromNodeId, int toNodeId);
}

/// <summary>What happens to a message: <see cref="FaultAction"/>, and the delay for <see cref="FaultAction.Delay"/>.</summary>
public readonly record struct FaultDecision(FaultAction Action, int DelayMilliseconds)
{
    /// <summary>Send the message normally.</summary>
    public static FaultDecision Deliver => new(FaultAction.Deliver, 0);

    /// <summary>Do not send the message (counted as dropped by fault).</summary>
    public static FaultDecision Drop => new(FaultAction.Drop, 0);

    /// <summary>Send the message after <paramref name="milliseconds"/>, scheduled on the connection's event loop (no thread sleeps).</summary>
    public static FaultDecision Delay(int milliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds);
        return new FaultDecision(FaultAction.Delay, milliseconds);
    }
}

/// <summary>The kinds of <see cref="FaultDecision"/>.</summary>
public enum FaultAction : byte
{
    /// <summary>Send normally.</summary>
    Deliver = 0,
    /// <summary>Drop.</summary>
    Drop = 1,
    /// <summary>Send later.</summary>
    Delay = 2,
}
