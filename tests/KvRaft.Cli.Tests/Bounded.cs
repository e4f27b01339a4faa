// Goal: helpers shared by the tests. Method: every wait has a limit and fails the test when it runs out; clients get short backoffs.
using KvRaft.Client;
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

internal static class Bounded
{
    /// <summary>The longest one test step may take (the machine is shared: generous).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static Task Wait(Task task) => task.WaitAsync(Limit);

    public static Task<T> Wait<T>(Task<T> task) => task.WaitAsync(Limit);

    public static KvClientOptions ClientOptions() => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        OperationTimeout = TimeSpan.FromSeconds(15),
        RetryBackoffMin = TimeSpan.FromMilliseconds(1),
        RetryBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    public static LocalClusterOptions ClusterOptions(LocalClusterMode mode) => new()
    {
        Mode = mode,
        StartTimeout = Limit,
        ClientOptions = ClientOptions(),
    };

    /// <summary>
    /// A 127.0.0.1 endpoint nobody listens on, below the ephemeral range: a released ephemeral port may
    /// become the local port of the very connection dialling it, which then talks to itself.
    /// </summary>
    public static string DeadEndpoint() => "127.0.0.1:" + KvRaft.Transport.LoopbackPorts.Free(1)[0];
}
