// Goal: waits that end when a condition holds or fail at a deadline, never fixed sleeps; method: poll the condition at a short interval until the deadline.
using System.Diagnostics;

namespace KvRaft.Server.Tests.Cluster;

internal static class Eventually
{
    /// <summary>Waits until <paramref name="condition"/> holds; throws naming <paramref name="what"/> at the deadline.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await Until(() => Task.FromResult(condition()), what, timeout).ConfigureAwait(false);

    /// <summary>Waits until <paramref name="condition"/> holds; throws naming <paramref name="what"/> at the deadline.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? ScenarioLimits.StepTimeout;
        var start = Stopwatch.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(start) >= limit)
            {
                throw new TimeoutException($"not within {limit.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(ScenarioLimits.PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for <paramref name="task"/> up to the step deadline; throws naming <paramref name="what"/> after it.</summary>
    public static async Task Within(Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? ScenarioLimits.StepTimeout;
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException error) when (!task.IsCompleted)
        {
            throw new TimeoutException($"not within {limit.TotalSeconds:0.#} s: {what}", error);
        }
    }

    /// <summary>Waits for <paramref name="task"/> up to the step deadline; throws naming <paramref name="what"/> after it.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        await Within((Task)task, what, timeout).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }
}
