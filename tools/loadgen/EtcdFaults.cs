// Goal: kill-leader / kill-follower on etcd members started by someone else: find the leader with the status API, SIGKILL its process.
using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Net.Client;

namespace KvRaft.Loadgen;

/// <summary>
/// Faults on an etcd cluster whose member at <c>endpoints[i]</c> runs as process <c>processIds[i]</c>
/// (<c>--etcd-pids</c>). Only kills: the members are not this process's children, so it cannot restart them.
/// </summary>
public sealed class EtcdFaults(IReadOnlyList<string> endpoints, IReadOnlyList<int> processIds, IReadOnlyList<FaultStep> steps) : IFaultRunner
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LeaderTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly HashSet<int> _killed = [];
    private readonly List<FaultEvent> _events = [];

    /// <inheritdoc/>
    public IReadOnlyList<FaultEvent> Events => _events;

    /// <summary>Throws <see cref="NotSupportedException"/> for anything but kill-leader and kill-follower.</summary>
    public static void EnsureSupported(IEnumerable<FaultStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        foreach (var step in steps)
        {
            if (step.Kind is not (FaultKind.KillLeader or FaultKind.KillFollower))
            {
                throw new NotSupportedException($"fault \"{step.Name}\" is not supported on etcd (only kill-leader and kill-follower)");
            }
        }
    }

    /// <inheritdoc/>
    public async Task RunAsync(long startNanoseconds, CancellationToken cancellation)
    {
        EnsureSupported(steps);
        foreach (var step in steps)
        {
            await Clock.DelayUntilAsync(startNanoseconds + (long)step.At.TotalNanoseconds, cancellation).ConfigureAwait(false);
            var leader = await FindLeaderAsync(cancellation).ConfigureAwait(false);
            var victim = step.Kind == FaultKind.KillLeader ? leader : Enumerable.Range(0, endpoints.Count)
                .First(index => index != leader && !_killed.Contains(index));
            long killedAt;
            using (var process = Process.GetProcessById(processIds[victim]))
            {
                if (process.ProcessName != "etcd")
                {
                    throw new InvalidOperationException($"process {process.Id} is {process.ProcessName}, not etcd");
                }

                killedAt = Clock.NowNanoseconds();
                process.Kill();
                // Not our child: .NET watches it until it is gone. Until then it may still commit writes called after the signal.
                using var exit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                exit.CancelAfter(ExitTimeout);
                try
                {
                    await process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    throw new InvalidOperationException($"etcd process {process.Id} still runs {ExitTimeout.TotalSeconds:0} s after SIGKILL");
                }
            }
            _killed.Add(victim);
            lock (_events)
            {
                _events.Add(new FaultEvent($"{step.Name} e{victim + 1}", killedAt, Clock.NowNanoseconds()));
            }
        }
    }

    /// <summary>The index of the member that the live members' status calls name as leader.</summary>
    private async Task<int> FindLeaderAsync(CancellationToken cancellation)
    {
        var giveUp = Clock.NowNanoseconds() + (long)LeaderTimeout.TotalNanoseconds;
        while (Clock.NowNanoseconds() < giveUp)
        {
            var members = new Dictionary<ulong, int>();
            ulong leader = 0;
            for (var index = 0; index < endpoints.Count; index++)
            {
                if (_killed.Contains(index))
                {
                    continue;
                }

                var status = await StatusAsync(endpoints[index], cancellation).ConfigureAwait(false);
                if (status is null)
                {
                    continue;
                }

                members[status.Header.MemberId] = index;
                if (status.Leader != 0)
                {
                    leader = status.Leader;
                }
            }
            if (members.TryGetValue(leader, out var found))
            {
                return found;
            }

            await Task.Delay(EtcdTarget.RetryDelay * 10, cancellation).ConfigureAwait(false);
        }
        throw new TimeoutException($"no etcd leader among {string.Join(',', endpoints)} within {LeaderTimeout.TotalSeconds} s");
    }

    private static async Task<StatusResponse?> StatusAsync(string endpoint, CancellationToken cancellation)
    {
        (var channel, var client) = EtcdTarget.ConnectOne(endpoint);
        using (channel)
        using (client)
        {
            try
            {
                return await client.StatusAsync(new StatusRequest(), null, DateTime.UtcNow + StatusTimeout, cancellation).ConfigureAwait(false);
            }
            catch (Grpc.Core.RpcException)
            {
                return null;
            }
        }
    }
}
