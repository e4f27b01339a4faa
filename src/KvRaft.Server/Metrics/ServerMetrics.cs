using System.Diagnostics;
using System.Diagnostics.Metrics;
using KvRaft.Server.Node;

namespace KvRaft.Server.Metrics;

/// <summary>
/// One node's instruments (System.Diagnostics.Metrics, on a <see cref="Meter"/> of its own) and the stage profile the
/// node reports to (<see cref="INodeProfile"/>, on the host's monotonic clock: <see cref="Stopwatch"/>). Histograms
/// are recorded on the event loop; gauges are observed at scrape time from figures the loop already keeps.
/// Names follow Prometheus: snake case, the unit last (docs/metrics.md lists them all).
/// </summary>
internal sealed partial class ServerMetrics : INodeProfile, IDisposable
{
    private static readonly string[] WriteStageNames = ["queue", "persist", "replicate", "commit", "apply", "reply"];
    private static readonly string[] ReadStageNames = ["queue", "read_index", "apply_wait", "reply"];

    private readonly Meter _meter = new("KvRaft.Server");
    private readonly MetricsCollector _collector;
    private readonly Histogram<double> _writeStages;
    private readonly Histogram<double> _readStages;
    private readonly Histogram<double> _apply;
    private readonly Histogram<double> _logWrite;
    private readonly Histogram<double> _snapshotSave;
    private readonly Histogram<double> _snapshotInstall;
    private readonly Histogram<long> _snapshotSize;
    private readonly KeyValuePair<string, object?>[] _writeStageTags = WriteStageNames.Select(Tag("stage")).ToArray();
    private readonly KeyValuePair<string, object?>[] _readStageTags = ReadStageNames.Select(Tag("stage")).ToArray();

    public ServerMetrics()
    {
        _collector = new MetricsCollector(_meter);
        _writeStages = Seconds("kvraft_write_stage_duration_seconds", "Time a write spent in each stage at the leader (queue, persist, replicate, commit, apply, reply); the stages add up to its time from received to replied");
        _readStages = Seconds("kvraft_read_stage_duration_seconds", "Time a linearizable read spent in each stage at the node serving it (queue, read_index, apply_wait, reply); the stages add up to its time from received to replied");
        _apply = Seconds("kvraft_apply_duration_seconds", "Time of one state-machine pass applying a Ready's committed entries");
        _logWrite = Seconds("kvraft_log_write_duration_seconds", "Time of one durable log commit (the fsync), from the call to its completion");
        _snapshotSave = Seconds("kvraft_snapshot_save_duration_seconds", "Time to take a snapshot of the state machine");
        _snapshotInstall = Seconds("kvraft_snapshot_install_duration_seconds", "Time to install a snapshot received from the leader (its chunks already verified)");
        _snapshotSize = _meter.CreateHistogram<long>("kvraft_snapshot_size_bytes", "By", "Size of each snapshot taken or installed");
        _clientDuration = Seconds("kvraft_client_request_duration_seconds", "Client requests by op and result: time from read off the connection to the answer's flush");
        _peerRoundTrip = Seconds("kvraft_peer_round_trip_seconds", "Heartbeat round trip to each peer, measured by the leader");
    }

    /// <summary>The exposition of every instrument now (GET /metrics).</summary>
    public string Scrape() => _collector.Scrape();

    public long Timestamp() => Stopwatch.GetTimestamp();

    public void WriteStage(WriteStage stage, long elapsed, int requests) => RecordTimes(_writeStages, Seconds(elapsed), _writeStageTags[(int)stage], requests);

    public void ReadStage(ReadStage stage, long elapsed, int requests) => RecordTimes(_readStages, Seconds(elapsed), _readStageTags[(int)stage], requests);

    public void Applied(long elapsed, int commands) => _apply.Record(Seconds(elapsed));

    public void SnapshotInstalled(long elapsed, long bytes)
    {
        _snapshotInstall.Record(Seconds(elapsed));
        _snapshotSize.Record(bytes);
    }

    /// <summary>A durable log commit started at <paramref name="started"/> ended now.</summary>
    public void LogWritten(long started) => _logWrite.Record(Seconds(Stopwatch.GetTimestamp() - started));

    public void SnapshotSaved(TimeSpan elapsed, long bytes)
    {
        _snapshotSave.Record(elapsed.TotalSeconds);
        _snapshotSize.Record(bytes);
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Seconds });

    private static double Seconds(long elapsed) => (double)elapsed / Stopwatch.Frequency;

    // One record per request: a histogram has no weighted record. Allocates nothing (the tag is a stored pair).
    private static void RecordTimes(Histogram<double> histogram, double seconds, KeyValuePair<string, object?> tag, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            histogram.Record(seconds, tag);
        }
    }

    private static Func<string, KeyValuePair<string, object?>> Tag(string key) => value => new(key, value);
}
