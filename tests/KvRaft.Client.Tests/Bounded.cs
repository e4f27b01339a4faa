// Goal: helpers shared by the client tests. Method: every wait is bounded and fails the test when it runs out; clients get short backoffs.

namespace KvRaft.Client.Tests;

internal static class Bounded
{
    /// <summary>The longest any single test step may take before the test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public static Task Wait(Task task) => task.WaitAsync(Limit);

    public static Task<T> Wait<T>(Task<T> task) => task.WaitAsync(Limit);

    /// <summary>Options for tests: short backoffs, a short connect timeout.</summary>
    public static KvClientOptions Options(int sessions = 1024) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        OperationTimeout = TimeSpan.FromSeconds(10),
        RetryBackoffMin = TimeSpan.FromMilliseconds(1),
        RetryBackoffMax = TimeSpan.FromMilliseconds(20),
        SessionPoolSize = sessions,
    };

    /// <summary>
    /// A 127.0.0.1 endpoint nobody listens on, below the ephemeral range: a released ephemeral port may
    /// become the local port of the very connection dialling it, which then talks to itself.
    /// </summary>
    public static string DeadEndpoint() => "127.0.0.1:" + KvRaft.Transport.LoopbackPorts.Free(1)[0];

    /// <summary>Awaits <paramref name="call"/> (bounded) and returns the exception it must throw.</summary>
    public static async Task<T> Throws<T>(Func<Task> call) where T : Exception
    {
        return await Assert.ThrowsAnyAsync<T>(() => Wait(call()));
    }
}
