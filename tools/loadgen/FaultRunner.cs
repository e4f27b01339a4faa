// Goal: what LoadRun needs of a fault schedule, whichever cluster it acts on (KvRaft's local cluster or etcd members).
namespace KvRaft.Loadgen;

/// <summary>Applies a fault schedule beside the load and tells what it did.</summary>
public interface IFaultRunner
{
    /// <summary>The faults applied so far.</summary>
    IReadOnlyList<FaultEvent> Events { get; }

    /// <summary>Applies every step at <paramref name="startNanoseconds"/> plus its offset, until cancelled.</summary>
    Task RunAsync(long startNanoseconds, CancellationToken cancellation);
}

/// <summary>A fault runner that also scrapes every node each second while the run lasts (loadgen --profile).</summary>
public sealed class ProfilingFaults(IFaultRunner faults, StageScraper scraper) : IFaultRunner
{
    /// <inheritdoc/>
    public IReadOnlyList<FaultEvent> Events => faults.Events;

    /// <summary>When the run started (on the run's clock), once it has.</summary>
    public long StartNanoseconds { get; private set; }

    /// <inheritdoc/>
    public Task RunAsync(long startNanoseconds, CancellationToken cancellation)
    {
        StartNanoseconds = startNanoseconds;
        return Task.WhenAll(faults.RunAsync(startNanoseconds, cancellation), scraper.RunAsync(startNanoseconds, cancellation));
    }
}

/// <summary>A <see cref="FaultInjector"/> (local KvRaft cluster) as an <see cref="IFaultRunner"/>.</summary>
public sealed class KvRaftFaults(FaultInjector injector) : IFaultRunner
{
    /// <inheritdoc/>
    public IReadOnlyList<FaultEvent> Events => injector.Events;

    /// <inheritdoc/>
    public Task RunAsync(long startNanoseconds, CancellationToken cancellation) => injector.RunAsync(startNanoseconds, cancellation);
}
