using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// The event loop of a process that hosts several replica groups (issue 16): like <see cref="NodeHost"/>, tasks on the
/// process's one <see cref="IoLoop"/>, but a turn drives every group through <see cref="GroupReplicas"/>: the ticks, the
/// queued input (each event names its group), the end of the turn, then every group's Readies under ONE commit of the
/// process's shared log, whose end (a Persisted event) releases what each group held for it; the transport is flushed
/// once per turn for all groups. Snapshots, installs and log reads run per group in the background, as in NodeHost.
/// A stop hands every group led here to another process first (GroupHost.HandOver.cs). Not (yet) here: membership
/// changes (the groups' members are fixed).
/// </summary>
internal sealed partial class GroupHost : IAsyncDisposable, IEventSink
{
    private const int EventsPerTurnMax = 4096;
    private readonly NodeEventQueues _events;
    private readonly GroupReplicas _replicas;
    private readonly Dictionary<int, IKvStateMachine> _machines; // by group id
    private readonly PeerTransport _transport;
    private readonly ILogger _logger;
    private readonly LoopStallWatch _stallWatch; // loop thread only
    private readonly IoLoop _loop;
    private readonly TickClock _clock;
    private bool _ticking; // event loop only: false until the first turn of Start, which the server calls once peers can reach this node; turns before it take events, not ticks
    private readonly TimeSpan _tickInterval;
    private readonly Action _runTurn;
    private readonly Action _onTickTimer;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _turnScheduled;

    public GroupHost(GroupReplicas replicas, Dictionary<int, IKvStateMachine> machines, PeerTransport transport, IoLoop loop, int tickMilliseconds, int queueCapacity, ILogger logger)
    {
        _replicas = replicas;
        _machines = machines;
        _transport = transport;
        _loop = loop;
        _logger = logger;
        _stallWatch = new LoopStallWatch(logger, "Groups");
        _clock = new TickClock(TimeProvider.System, tickMilliseconds);
        _tickInterval = TimeSpan.FromMilliseconds(tickMilliseconds);
        _events = new NodeEventQueues(queueCapacity, queueCapacity);
        _runTurn = RunTurn;
        _onTickTimer = OnTickTimer;
    }

    /// <summary>Counts of the loop's turns and events (for /metrics).</summary>
    public Metrics.GroupLoopStatistics Statistics { get; } = new();

    /// <summary>Completes when the loop has stopped; faulted if it stopped on an error.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Healthy while the event loop runs (it stops on a failed disk, or a stop).</summary>
    public Metrics.ProbeResult Health() => Stopped.IsCompleted
        ? new Metrics.ProbeResult(false, Stopped.IsFaulted ? "stopped: " + Stopped.Exception?.InnerException?.Message : "stopped")
        : new Metrics.ProbeResult(true, "ok: event loop running, storage open");

    /// <summary>Answers to clients whose connection closed are dropped by this outbox.</summary>
    public Action<long>? OnClientDisconnected { get; init; }

    /// <summary>The core's status of every group (read on the loop: for operators and tests).</summary>
    public Task<Raft.RaftStatus[]> StatusAsync()
    {
        var statuses = new TaskCompletionSource<Raft.RaftStatus[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_loop.Execute(() => statuses.TrySetResult([.. _replicas.GroupIds.Select(group => _replicas[group].RaftStatus)])))
        {
            statuses.TrySetException(new InvalidOperationException("the event loop has stopped"));
        }
        return statuses.Task;
    }

    public void Start()
    {
        _loop.Execute(() =>
        {
            _clock.Restart();
            _ticking = true;
            RunTurn();
        });
        _loop.Schedule(_onTickTimer, _tickInterval);
    }

    /// <inheritdoc/>
    public bool Post(in NodeEvent item)
    {
        if (!_events.TryPost(item))
        {
            return false;
        }

        ScheduleTurn();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        Post(new NodeEvent { Kind = NodeEventKind.Stop });
        try
        {
            await _stopped.Task.ConfigureAwait(false);
        }
        catch (Exception error) when (error is StorageFailedException or IOException)
        {
            // Already logged by the loop.
        }
        await AwaitBackgroundAsync().ConfigureAwait(false);
    }

    private void ScheduleTurn()
    {
        if (Volatile.Read(ref _turnScheduled) == 0 && Interlocked.Exchange(ref _turnScheduled, 1) == 0)
        {
            _loop.Execute(_runTurn);
        }
    }

    private void OnTickTimer()
    {
        if (_stopped.Task.IsCompleted)
        {
            return;
        }

        ScheduleTurn();
        _loop.Schedule(_onTickTimer, _tickInterval);
    }

    private void RunTurn()
    {
        Volatile.Write(ref _turnScheduled, 0);
        if (_stopped.Task.IsCompleted)
        {
            if (_stopped.Task.IsCompletedSuccessfully)
            {
                AnswerAfterStop();
            }

            return;
        }

        try
        {
            if (!Turn())
            {
                _stopped.TrySetResult();
            }
        }
        catch (Exception error)
        {
            _logger.LogCritical(error, "The event loop of every group stopped: {Message}", error.Message);
            _stopped.TrySetException(error);
        }
    }

    /// <summary>Ticks, the queued input (control, peers, clients), the end of the turn, then the one commit; false once stopped.</summary>
    private bool Turn()
    {
        var started = _stallWatch.TurnStarted();
        var elapsedTicks = _ticking ? _clock.TakeElapsedTicks() : 0;
        if (elapsedTicks > 0)
        {
            _replicas.OnTicks(elapsedTicks);
        }
        _stallWatch.PhaseEnded("ticks");
        var events = 0;
        for (var i = 0; i < EventsPerTurnMax && _events.TryTakeControl(out var item); i++, events++)
        {
            if (item.Kind == NodeEventKind.Stop)
            {
                OnStop();
                return false;
            }

            Dispatch(item);
        }
        _stallWatch.PhaseEnded("control events");
        for (var i = 0; i < EventsPerTurnMax && _events.TryTakePeer(out var item); i++, events++)
        {
            Dispatch(item);
        }
        _stallWatch.PhaseEnded("peer events");
        for (var i = 0; i < EventsPerTurnMax && _events.TryTakeClient(out var item); i++, events++)
        {
            Dispatch(item);
        }
        _stallWatch.PhaseEnded("client events");
        _replicas.EndTurn();
        _stallWatch.PhaseEnded("the end of the groups' turn");
        DriveReadies();
        _transport.Flush(); // every group's messages of the turn, in one flush per peer
        CheckHandOver();
        _stallWatch.PhaseEnded("Readies");
        StartBackgroundWork();
        _stallWatch.PhaseEnded("background starts");
        if (_events.HasPending || _replicas.ApplyDeferred)
        {
            ScheduleTurn(); // more than one turn takes, or a group's applies of this one reached their limit
        }

        _stallWatch.TurnEnded(started, events);
        Statistics.TurnEnded(events);
        return true;
    }

    /// <summary>
    /// Every group's Readies, then one commit of the shared log for all of them; its end is a Persisted event (commits
    /// end in the order they were started, and each covers everything appended before it).
    /// </summary>
    private void DriveReadies()
    {
        if (!_replicas.TryAcceptReadies())
        {
            return;
        }

        var commit = _replicas.Log.CommitAsync();
        if (commit.IsCompletedSuccessfully && _replicas.CommitsInFlight == 1)
        {
            _replicas.OnCommitDurable();
            return;
        }
        _ = CompleteCommitAsync(commit);
    }

    private async Task CompleteCommitAsync(ValueTask commit)
    {
        try
        {
            await commit.ConfigureAwait(false);
            PostOrFail(new NodeEvent { Kind = NodeEventKind.Persisted });
        }
        catch (Exception error)
        {
            PostOrFail(new NodeEvent { Kind = NodeEventKind.PersistFailed, Error = error });
        }
    }

    private void PostOrFail(NodeEvent item)
    {
        var posted = Post(item);
        Invariant.True(posted, item.Kind); // completions are control events: never refused
    }
}
