namespace KvRaft.Cli;

/// <summary>The exit codes of kvraft (docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>get or delete of an absent key; cas whose condition did not hold.</summary>
    public const int NotFound = 1;

    /// <summary>Bad command line, missing endpoints, invalid key or value.</summary>
    public const int Usage = 2;

    /// <summary>No node reachable or none knew a leader, the call timed out, or its outcome is unknown.</summary>
    public const int Unavailable = 3;

    /// <summary>Anything else.</summary>
    public const int Failed = 4;
}
