using System.Diagnostics;
using System.Threading.Channels;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// The one event-loop thread that owns the node: it drains a bounded queue of network, client and
/// disk events, drives ticks from a monotonic clock, batches everything that arrived in one turn,
/// and overlaps the durable log commit with further input.
/// </summary>
internal sealed partial class NodeHost : IAsyncDisposable
{
    private const int EventsPerTurnMax = 4096;
    private readonly Channel<NodeEvent> _events;
    private readonly KvNode _node;
    private readonly IRaftLogStore _log;
    private readonly IKvStateMachine _machine;
    private readonly ILogger _logger;
    private readonly long _tickTimestamps;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The loop sleeps on this event without spinning (a spinning wait burns the CPU that the other
    // nodes of a small machine need); a poster sets it only when the loop said it is going to sleep.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0); // never disposed: a late poster may still set it
    private int _sleeping;
    private bool _persisting;
    private int _commitsInFlight; // pipelined commits whose Persisted event has not been handled yet

    public NodeHost(KvNode node, IRaftLogStore log, IKvStateMachine machine, int tickMilliseconds, int queueCapacity, ILogger logger)
    {
        _node = node;
        _log = log;
        _machine = machine;
        _logger = logger;
        _tickTimestamps = Stopwatch.Frequency * tickMilliseconds / 1000;
        _events = Channel.CreateBounded<NodeEvent>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _thread = new Thread(Run) { Name = $"kvraft-node-{node.Id}", IsBackground = true };
    }

    /// <summary>Completes when the loop has stopped; faulted if it stopped on an error.</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    /// <summary>Queues an event; false when the queue is full (the caller drops or refuses it).</summary>
    public bool Post(in NodeEvent item)
    {
        if (!_events.Writer.TryWrite(item)) return false;
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0) _wake.Set();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        // Stop must get through even when the queue is full.
        while (!Post(new NodeEvent { Kind = NodeEventKind.Stop }) && !_stopped.Task.IsCompleted)
        {
            await Task.Yield();
        }
        try
        {
            await _stopped.Task.ConfigureAwait(false);
        }
        catch (Exception error) when (error is StorageFailedException or IOException)
        {
            // Already logged by the loop.
        }
    }

    private void Run()
    {
        try
        {
            Loop();
            _stopped.TrySetResult();
        }
        catch (Exception error)
        {
            _logger.LogCritical(error, "Node {Id} stopped: {Message}", _node.Id, error.Message);
            _stopped.TrySetException(error);
        }
    }

    private void Loop()
    {
        long nextTick = Stopwatch.GetTimestamp() + _tickTimestamps;
        ChannelReader<NodeEvent> reader = _events.Reader;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= nextTick)
            {
                _node.OnTick();
                nextTick = Math.Max(nextTick + _tickTimestamps, now - _tickTimestamps);
            }
            for (int i = 0; i < EventsPerTurnMax && reader.TryRead(out NodeEvent item); i++)
            {
                if (item.Kind == NodeEventKind.Stop) return;
                Dispatch(item);
            }
            _node.EndTurn();
            DriveReady();
            MaybeSnapshot();
            if (reader.TryPeek(out _)) continue;
            WaitForInput(nextTick);
        }
    }

    /// <summary>Sleeps until an event is posted or the next tick is due, whichever comes first.</summary>
    private void WaitForInput(long nextTick)
    {
        long remaining = nextTick - Stopwatch.GetTimestamp();
        if (remaining <= 0) return;
        _wake.Reset();
        Interlocked.Exchange(ref _sleeping, 1); // a full fence: a post after this sees it, a post before it is seen below
        if (!_events.Reader.TryPeek(out _)) _wake.Wait(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
        Volatile.Write(ref _sleeping, 0);
    }

    private void DriveReady()
    {
        if (_node.AsyncStorageWrites)
        {
            DriveReadyPipelined();
            return;
        }
        while (!_persisting && _node.TryBeginReady(out bool mustCommit))
        {
            if (!mustCommit)
            {
                _node.CompleteReady();
                continue;
            }
            _persisting = true;
            ValueTask commit = _log.CommitAsync();
            if (commit.IsCompletedSuccessfully)
            {
                _persisting = false;
                _node.CompleteReady();
                continue;
            }
            _ = CompleteCommitAsync(commit);
        }
    }

    /// <summary>
    /// Takes every Ready at once; each one that appended to the log gets its own commit call (the store
    /// groups concurrent calls into one device commit), whose end is reported in the order of the calls.
    /// </summary>
    private void DriveReadyPipelined()
    {
        while (_node.TryAcceptReady(out bool mustCommit))
        {
            if (!mustCommit) continue;
            ValueTask commit = _log.CommitAsync();
            if (commit.IsCompletedSuccessfully && _commitsInFlight == 0)
            {
                _node.OnLogWriteDurable();
                continue;
            }
            _commitsInFlight++;
            _ = CompleteCommitAsync(commit);
        }
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
        // Completions must not be lost to a full queue: wait for room.
        while (!Post(item)) Thread.Yield();
    }

    private void MaybeSnapshot()
    {
        if (!_node.TryStartSnapshot(out byte[] configuration)) return;
        _ = Task.Run(async () =>
        {
            SnapshotInfo? info = null;
            long started = Stopwatch.GetTimestamp();
            try
            {
                info = await _machine.TakeSnapshotAsync(configuration).ConfigureAwait(false);
                _logger.LogInformation("Snapshot {Index} written in {Milliseconds:F0} ms", info.Index, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception error) when (error is IOException or StorageFailedException or InvalidOperationException)
            {
                _logger.LogError(error, "Snapshot failed: {Message}", error.Message);
            }
            PostOrFail(new NodeEvent { Kind = NodeEventKind.SnapshotTaken, SnapshotInfo = info });
        });
    }
}
