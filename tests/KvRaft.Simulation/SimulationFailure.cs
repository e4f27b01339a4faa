namespace KvRaft.Simulation;

/// <summary>What a failed run broke: each kind names one check.</summary>
public enum ViolationKind
{
    /// <summary>Two leaders in one term.</summary>
    ElectionSafety,
    /// <summary>Two nodes committed different entries at one index (log matching / committed entries never change).</summary>
    CommittedEntryChanged,
    /// <summary>A node's commit index moved back while it ran.</summary>
    CommitWentBack,
    /// <summary>A leader lacks an entry committed before its term.</summary>
    LeaderCompleteness,
    /// <summary>Two applications of one log position gave different commands or results (state machine safety).</summary>
    StateMachineSafety,
    /// <summary>The client history is not linearizable.</summary>
    Linearizability,
    /// <summary>One client write applied at two log positions.</summary>
    DuplicateApply,
    /// <summary>A write acknowledged to its client that was never applied, or an appended value missing or repeated.</summary>
    AcknowledgedWriteLost,
    /// <summary>A crash lost log writes the node had already reported durable (and acknowledged on their strength).</summary>
    DurableWriteLost,
    /// <summary>A node could not start again from what its disk kept (after a crash, or a kill mid-install).</summary>
    RestartFailed,
    /// <summary>The healed cluster did not answer every client, or did not apply a new write everywhere, in time.</summary>
    Liveness,
    /// <summary>A node removed from the configuration became leader after a majority of the remaining voters applied its removal.</summary>
    RemovedNodeLeads,
    /// <summary>A node (or the simulator) threw: a node must never stop.</summary>
    UnexpectedException,
    /// <summary>A node refused a message or chunk a correct node sent: the peer validation is too strict.</summary>
    GenuineInputRefused,
    /// <summary>A node took a forged peer message that it must refuse.</summary>
    ForgeryAccepted,
    /// <summary>The linearizability checker gave up (search budget): not a verdict.</summary>
    CheckerUndecided,
    /// <summary>Sharded: a client's session was unknown to the group its shard moved to (the sessions did not move with the data).</summary>
    SessionNotMoved,
}

/// <summary>A broken safety or liveness property, naming the seed that reproduces it.</summary>
public sealed class SimulationFailure : Exception
{
    /// <summary>Creates the failure for <paramref name="seed"/>.</summary>
    public SimulationFailure(ulong seed, long tick, ViolationKind kind, string violation, Exception? inner = null, int forgeriesPerTick = 0, bool sharded = false)
        : base($"seed {seed}, {(sharded ? "step" : "tick")} {tick}: {kind}: {violation}. Replay: dotnet run -c Release --project tests/KvRaft.Simulation -- {(sharded ? "--sharded " : "")}--seed {seed}{(forgeriesPerTick > 0 ? $" --forge {forgeriesPerTick}" : "")} --trace", inner)
    {
        Seed = seed;
        Tick = tick;
        Kind = kind;
        Violation = violation;
    }

    /// <summary>Not used.</summary>
    public SimulationFailure() { }

    /// <summary>Not used.</summary>
    public SimulationFailure(string message) : base(message) { }

    /// <summary>Not used.</summary>
    public SimulationFailure(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The seed that reproduces the failure.</summary>
    public ulong Seed { get; }

    /// <summary>The simulated tick at which it was seen.</summary>
    public long Tick { get; }

    /// <summary>Which check broke.</summary>
    public ViolationKind Kind { get; }

    /// <summary>What broke, in words.</summary>
    public string Violation { get; } = "";

    /// <summary>The program's exit code for this failure: 3 safety or linearizability, 4 liveness, 5 unexpected exception.</summary>
    public int ExitCode => Kind switch
    {
        ViolationKind.Liveness => 4,
        ViolationKind.UnexpectedException or ViolationKind.CheckerUndecided => 5,
        _ => 3,
    };
}
