using System.Diagnostics;
using KvRaft.Server.Metrics;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// The node's event loop. It runs as tasks on the node's <see cref="IoLoop"/>, the thread that also does the
/// node's socket I/O: network, client and disk events are queued (bounded), and one turn drains them, ticks
/// from a monotonic clock (every elapsed tick, after a stall too: see <see cref="TickClock"/>), batches everything
/// that arrived, and overlaps the durable log commits with further input. A request read from a socket and the
/// turn that handles it run on one thread: no hand-off between them.
/// </summary>
internal sealed partial class NodeHost : IAsyncDisposable, IEventSink
{
    private const int EventsPerTurnMax = 4096;
    private readonly NodeEventQueues _events;
    private readonly KvNode _node;
    private readonly IRaftLogStore _log;
    private readonly IKvStateMachine _machine;
    private readonly ILogger _logger;
    private readonly IoLoop _loop;
    private readonly TickClock _clock;
    private bool _ticking; // event loop only: false until the first turn of Start, which the server calls once peers can reach this node; turns before it take events, not ticks
    private readonly TimeSpan _tickInterval;
    private readonly Action _runTurn;
    private readonly Action _onTickTimer;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _turnScheduled;
    private int _commitsInFlight; // pipelined commits whose Persisted event has not been handled yet
    private readonly List<Task> _logFetchTasks = new(); // loop thread only, then DisposeAsync once the loop stopped
    private readonly LoopStallWatch _stallWatch; // loop thread only

    public NodeHost(KvNode node, IRaftLogStore log, IKvStateMachine machine, IoLoop loop, int tickMilliseconds, int queueCapacity, ILogger logger)
    {
        _node = node;
        _log = log;
        _machine = machine;
        _loop = loop;
        _logger = logger;
        _clock = new TickClock(TimeProvider.System, tickMilliseconds);
        _tickInterval = TimeSpan.FromMilliseconds(tickMilliseconds);
        _events = new NodeEventQueues(queueCapacity, queueCapacity);
        _runTurn = RunTurn;
        _onTickTimer = OnTickTimer;
        _stallWatch = new LoopStallWatch(logger, $"Node {node.Id}");
    }

    /// <summary>Completes when the loop has stopped; faulted if it stopped on an error.</summary>
    public Task Stopped => _stopped.Task;

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

    /// <summary>
    /// Queues an event and makes sure a turn will take it; false when a peer or client event finds its queue full
    /// (the caller drops or refuses it). Disconnects, completions and Stop are always taken (see <see cref="NodeEventQueues"/>).
    /// </summary>
    public bool Post(in NodeEvent item)
    {
        if (!_events.TryPost(item))
        {
            return false;
        }

        ScheduleTurn();
        return true;
    }

    /// <summary>Peer messages and chunks dropped because their queue was full.</summary>
    public long PeerEventsDropped => _events.PeerEventsDropped;

    /// <summary>Events waiting for the loop, per queue.</summary>
    public EventQueueDepths QueueDepths => _events.Depths;

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
        await Task.WhenAll(_logFetchTasks).ConfigureAwait(false); // the log store is closed after this: no read may be left on it
        await AwaitInstallAsync().ConfigureAwait(false);
    }

    /// <summary>One turn task at a time: posts made while one is queued ride on it (a post during a turn queues the next).</summary>
    private void ScheduleTurn()
    {
        if (Volatile.Read(ref _turnScheduled) == 0 && Interlocked.Exchange(ref _turnScheduled, 1) == 0)
        {
            _loop.Execute(_runTurn);
        }
    }

    /// <summary>Every tick interval: a turn (which ticks when due), through the same flag as every other turn.</summary>
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
        Volatile.Write(ref _turnScheduled, 0); // before draining: an event posted from now on schedules another turn
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
            _logger.LogCritical(error, "Node {Id} stopped: {Message}", _node.Id, error.Message);
            _stopped.TrySetException(error);
        }
    }

    /// <summary>
    /// Ticks when due, handles what was queued, then the Readies; false once the Stop event was taken. Time comes
    /// first: after a stall the ticks missed are counted before the reads that waited meanwhile are handled.
    /// </summary>
    private bool Turn()
    {
        var started = _stallWatch.TurnStarted();
        var elapsedTicks = _ticking ? _clock.TakeElapsedTicks() : 0;
        if (elapsedTicks > 0)
        {
            _node.OnTicks(elapsedTicks);
        }
        _stallWatch.PhaseEnded("ticks");
        // Control events first, then peers, then clients: each kind has its own share of the turn.
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
        _node.EndTurn();
        _stallWatch.PhaseEnded("the end of the node's turn");
        DriveReady();
        _stallWatch.PhaseEnded("Readies");
        StartLogFetches();
        MaybeSnapshot();
        CheckHandOver();
        _stallWatch.PhaseEnded("background starts");
        PublishGauges();
        LogLeaderChange();
        if (_events.HasPending || _node.ApplyDeferred)
        {
            ScheduleTurn(); // more than one turn takes, or the applies of this one reached their limit
        }

        _stallWatch.TurnEnded(started, events);
        return true;
    }

    /// <summary>
    /// Takes every Ready at once; each one that appended to the log gets its own commit call (the store
    /// groups concurrent calls into one device commit), whose end is reported in the order of the calls.
    /// </summary>
    private void DriveReady()
    {
        while (_node.TryAcceptReady(out var mustCommit))
        {
            if (!mustCommit)
            {
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            var commit = _log.CommitAsync();
            if (commit.IsCompletedSuccessfully && _commitsInFlight == 0)
            {
                Metrics?.LogWritten(started);
                _node.OnLogWriteDurable();
                continue;
            }
            _commitsInFlight++;
            _ = CompleteCommitAsync(commit, started);
        }
    }

    private async Task CompleteCommitAsync(ValueTask commit, long started)
    {
        try
        {
            await commit.ConfigureAwait(false);
            Metrics?.LogWritten(started);
            PostOrFail(new NodeEvent { Kind = NodeEventKind.Persisted });
        }
        catch (Exception error)
        {
            PostOrFail(new NodeEvent { Kind = NodeEventKind.PersistFailed, Error = error });
        }
    }

    /// <summary>
    /// The log reads the node asked for (entries evicted from the cache, for followers being caught up), each on the
    /// thread pool: the loop never waits for the log device. Each one's end is a control event.
    /// </summary>
    private void StartLogFetches()
    {
        while (_node.TryTakeLogFetch(out var fetch))
        {
            _logFetchTasks.RemoveAll(task => task.IsCompleted);
            _logFetchTasks.Add(Task.Run(async () =>
            {
                var entries = new List<LogEntry>();
                try
                {
                    await _log.ReadStoredAsync(fetch.Lo, fetch.HiExclusive, fetch.MaxBytes, entries).ConfigureAwait(false);
                    PostOrFail(new NodeEvent { Kind = NodeEventKind.LogFetched, Fetch = fetch, Entries = entries });
                }
                catch (Exception error)
                {
                    PostOrFail(new NodeEvent { Kind = NodeEventKind.LogFetched, Fetch = fetch, Error = error });
                }
            }));
        }
    }

    private void PostOrFail(NodeEvent item)
    {
        // Completions are control events: never refused, so never lost.
        var posted = Post(item);
        Invariant.True(posted, item.Kind);
    }

    private void MaybeSnapshot()
    {
        if (!_node.TryStartSnapshot(out var configuration))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            SnapshotInfo? info = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                info = await _machine.TakeSnapshotAsync(configuration).ConfigureAwait(false);
                Metrics?.SnapshotSaved(Stopwatch.GetElapsedTime(started), _machine.LatestSnapshot is { } latest && latest.Info.Index == info.Index ? latest.TotalBytes : 0);
                _logger.LogInformation("Snapshot {Index} written in {Milliseconds:F0} ms ({Phases})", info.Index, Stopwatch.GetElapsedTime(started).TotalMilliseconds, _machine.LastSnapshotPhases);
            }
            catch (SnapshotSupersededException superseded)
            {
                // An install from the leader replaced the state mid-export: its snapshot is newer; nothing failed.
                _logger.LogInformation("Snapshot abandoned: {Message}", superseded.Message);
            }
            catch (Exception error) when (error is IOException or StorageFailedException or InvalidOperationException)
            {
                _logger.LogError(error, "Snapshot failed: {Message}", error.Message);
            }
            PostOrFail(new NodeEvent { Kind = NodeEventKind.SnapshotTaken, SnapshotInfo = info });
        });
    }
}
