// Goal: the --target option, the etcd target's outcome classes and transactions, and LoadRun over any ILoadTarget behave as documented; method: parse command lines, classify crafted gRPC errors, drive an in-memory target (no etcd, no network).
using System.Net.Sockets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvRaft.Client;
using KvRaft.Linearizability;
using Mvccpb;

namespace KvRaft.Loadgen.Tests;

public sealed class LoadTargetTests
{
    [Fact]
    public async Task Target_defaults_to_kvraft()
    {
        var job = await ParseAsync("--duration", "1s");
        Assert.Equal(LoadTargetKind.KvRaft, job.Target);
        Assert.Equal(EtcdTarget.DefaultClientsPerChannel, job.ClientsPerChannel);
        Assert.Empty(job.EtcdProcessIds);
        Assert.Null(job.Problem());
    }

    [Fact]
    public async Task Shard_faults_are_refused_without_a_sharded_local_cluster()
    {
        Assert.Contains("--groups", (await ParseAsync("--faults", "move-shard@1s")).Problem(), StringComparison.Ordinal);
        Assert.Contains("--groups", (await ParseAsync("--faults", "rebalance@1s")).Problem(), StringComparison.Ordinal);
        Assert.Null((await ParseAsync("--groups", "2", "--faults", "move-shard@1s,rebalance@2s")).Problem());
    }

    [Fact]
    public async Task Etcd_target_parses_with_its_endpoints_channels_and_process_ids()
    {
        var job = await ParseAsync("--target", "etcd", "--endpoints", "127.0.0.1:2379,127.0.0.1:2380",
            "--clients-per-channel", "16", "--etcd-pids", "101,102", "--faults", "kill-leader@5s");
        Assert.Equal(LoadTargetKind.Etcd, job.Target);
        Assert.Equal(16, job.ClientsPerChannel);
        Assert.Equal([101, 102], job.EtcdProcessIds);
        Assert.Null(job.Problem());
    }

    [Fact]
    public async Task Target_name_is_case_insensitive()
    {
        Assert.Equal(LoadTargetKind.KvRaft, (await ParseAsync("--target", "kvraft")).Target);
        Assert.Equal(LoadTargetKind.Etcd, (await ParseAsync("--target", "ETCD", "--endpoints", "h:1")).Target);
    }

    [Fact]
    public async Task Etcd_without_endpoints_is_refused()
    {
        var job = await ParseAsync("--target", "etcd");
        Assert.Contains("--endpoints", job.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Etcd_faults_need_one_process_id_per_endpoint()
    {
        var job = await ParseAsync("--target", "etcd", "--endpoints", "h:1,h:2,h:3", "--etcd-pids", "7,8", "--faults", "kill-leader@1s");
        Assert.Contains("--etcd-pids", job.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Etcd_refuses_faults_other_than_kills()
    {
        var job = await ParseAsync("--target", "etcd", "--endpoints", "h:1", "--etcd-pids", "7", "--faults", "pause-leader@1s");
        Assert.Contains("not supported on etcd", job.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_ids_without_the_etcd_target_are_refused()
    {
        var job = await ParseAsync("--etcd-pids", "7");
        Assert.Contains("--target etcd", job.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Process_id_list_rejects_what_is_not_a_positive_number()
    {
        Assert.Equal([1, 22, 333], LoadgenCommand.ParseProcessIds(" 1, 22 ,333 "));
        Assert.Empty(LoadgenCommand.ParseProcessIds(null));
        Assert.Throws<FormatException>(() => LoadgenCommand.ParseProcessIds("1,x"));
        Assert.Throws<FormatException>(() => LoadgenCommand.ParseProcessIds("0"));
    }

    [Fact]
    public void Clients_are_spread_over_enough_channels()
    {
        Assert.Equal(8, EtcdTarget.ChannelCount(256, 32));
        Assert.Equal(1, EtcdTarget.ChannelCount(1, 32));
        Assert.Equal(2, EtcdTarget.ChannelCount(33, 32));
    }

    [Fact]
    public void Etcd_outcome_is_ok_only_without_an_error()
    {
        Assert.True(EtcdOutcome.Classify(null));
        Assert.Null(EtcdOutcome.Classify(new IOException("connection reset")));
    }

    [Fact]
    public void Etcd_refusals_and_lost_append_races_are_definitely_not_applied()
    {
        Assert.False(EtcdOutcome.Classify(new EtcdConflictException("lost")));
        Assert.False(EtcdOutcome.Classify(Rpc(StatusCode.InvalidArgument, "etcdserver: request is too large")));
        Assert.False(EtcdOutcome.Classify(Rpc(StatusCode.ResourceExhausted, "etcdserver: too many requests")));
        Assert.False(EtcdOutcome.Classify(Rpc(StatusCode.ResourceExhausted, "mvcc: database space exceeded")));
        Assert.False(EtcdOutcome.Classify(Rpc(StatusCode.FailedPrecondition, "etcdserver: mvcc: required revision has been compacted")));
    }

    [Fact]
    public void Etcd_timeouts_and_lost_connections_are_unknown()
    {
        Assert.Null(EtcdOutcome.Classify(Rpc(StatusCode.Unavailable, "etcdserver: request timed out")));
        Assert.Null(EtcdOutcome.Classify(Rpc(StatusCode.Unavailable, "etcdserver: leader changed")));
        Assert.Null(EtcdOutcome.Classify(Rpc(StatusCode.DeadlineExceeded, "Deadline Exceeded")));
        Assert.Null(EtcdOutcome.Classify(Rpc(StatusCode.Internal, "Error starting gRPC call", new HttpRequestException("reset"))));
        Assert.Null(EtcdOutcome.Classify(Rpc(StatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size.")));
    }

    [Fact]
    public void Etcd_call_refused_at_connect_was_not_sent()
    {
        var refused = new HttpRequestException("connect", new SocketException((int)SocketError.ConnectionRefused));
        var error = Rpc(StatusCode.Unavailable, "Error connecting to subchannel.", refused);
        Assert.True(EtcdOutcome.WasNotSent(error));
        Assert.False(EtcdOutcome.Classify(error));
        var reset = new HttpRequestException("send", new SocketException((int)SocketError.ConnectionReset));
        Assert.False(EtcdOutcome.WasNotSent(Rpc(StatusCode.Unavailable, "Error starting gRPC call.", reset)));
    }

    [Fact]
    public void Etcd_reads_are_retried_on_unavailable_only()
    {
        Assert.True(EtcdOutcome.MayRetryRead(Rpc(StatusCode.Unavailable, "etcdserver: leader changed")));
        Assert.False(EtcdOutcome.MayRetryRead(Rpc(StatusCode.DeadlineExceeded, "Deadline Exceeded")));
    }

    [Fact]
    public void Etcd_error_names_carry_the_status_code_and_a_short_message()
    {
        var name = EtcdOutcome.NameOf(Rpc(StatusCode.Unavailable, "etcdserver: request timed out | " + new string('x', 200)));
        Assert.StartsWith("Unavailable: etcdserver: request timed out / ", name, StringComparison.Ordinal);
        Assert.True(name.Length < 80, name);
        Assert.Equal("TimeoutException", EtcdOutcome.NameOf(new TimeoutException()));
    }

    [Fact]
    public void Append_transaction_requires_the_mod_revision_it_read_and_writes_old_value_plus_suffix()
    {
        var key = ByteString.CopyFromUtf8("k1");
        var current = new KeyValue { Key = key, Value = ByteString.CopyFromUtf8("ab"), ModRevision = 42 };
        var request = EtcdTarget.AppendTransaction(key, current, "cd"u8.ToArray());
        var compare = Assert.Single(request.Compare);
        Assert.Equal(Compare.Types.CompareTarget.Mod, compare.Target);
        Assert.Equal(42, compare.ModRevision);
        Assert.Equal("abcd", Assert.Single(request.Success).RequestPut.Value.ToStringUtf8());
        Assert.Equal(key, Assert.Single(request.Failure).RequestRange.Key);
    }

    [Fact]
    public void Append_transaction_on_an_absent_key_requires_mod_revision_zero()
    {
        var key = ByteString.CopyFromUtf8("k1");
        var request = EtcdTarget.AppendTransaction(key, null, "cd"u8.ToArray());
        Assert.Equal(0, Assert.Single(request.Compare).ModRevision);
        Assert.True(request.Compare[0].HasModRevision);
        Assert.Equal("cd", request.Success[0].RequestPut.Value.ToStringUtf8());
    }

    [Fact]
    public void KvRaft_target_classifies_like_the_client_library()
    {
        var target = new KvRaftTarget(null!);
        Assert.True(target.Classify(null));
        Assert.False(target.Classify(new KvClusterUnavailableException("down")));
        Assert.Null(target.Classify(new KvOutcomeUnknownException("timed out")));
    }

    [Fact]
    public async Task Load_run_over_any_target_records_its_classification_and_checks_linearizable()
    {
        const int Seed = 11;
        var target = new MemoryTarget(failWritesEvery: 7);
        var settings = new LoadSettings { Clients = 8, Operations = 2000, Keys = 20, ValueSize = 16, Seed = Seed };
        var run = await LoadRun.RunAsync(settings, target, null, null, CancellationToken.None);
        Assert.Equal(2000, run.Records.Count);
        Assert.Contains(run.Records, r => r.Ok is null && r.Error == "unknown: TimeoutException");
        Assert.Contains(run.Records, r => r.Ok == true && r.Kind == OperationKind.Append);
        var check = HistoryChecker.Check(run.Records.Select(r => r.ToOperation()));
        Assert.True(check.Verdict == Verdict.Linearizable, $"seed {Seed}: {check.Describe()}");
    }

    [Fact]
    public async Task A_warm_up_runs_the_workload_first_and_only_the_measured_run_is_recorded_without_arguments()
    {
        var target = new MemoryTarget(failWritesEvery: int.MaxValue);
        var settings = new LoadSettings
        {
            Clients = 4,
            Operations = 500,
            Keys = 20,
            ValueSize = 16,
            Seed = 3,
            Warmup = TimeSpan.FromMilliseconds(200),
            KeepArguments = false,
        };
        var run = await LoadRun.RunAsync(settings, target, null, null, CancellationToken.None);
        Assert.Equal(500, run.Records.Count);
        Assert.True(target.Calls > 500, $"only {target.Calls} calls: no warm-up ran");
        Assert.All(run.Records, r => Assert.True(r.Key.Length == 0 && r.Value is null && r.Output is null));
    }

    [Fact]
    public async Task Records_without_arguments_keep_each_operations_client_kind_times_outcome_and_error()
    {
        const int Seed = 11;
        var target = new MemoryTarget(failWritesEvery: 7);
        var kept = await LoadRun.RunAsync(new LoadSettings { Clients = 1, Operations = 300, Keys = 20, ValueSize = 16, Seed = Seed }, target, null, null, CancellationToken.None);
        var bare = await LoadRun.RunAsync(new LoadSettings { Clients = 1, Operations = 300, Keys = 20, ValueSize = 16, Seed = Seed, KeepArguments = false },
            new MemoryTarget(failWritesEvery: 7), null, null, CancellationToken.None);
        Assert.Equal(kept.Records.Count, bare.Records.Count);
        Assert.Contains(bare.Records, r => r.Ok is null && r.Error == "unknown: TimeoutException");
        for (var i = 0; i < bare.Records.Count; i++)
        {
            var (a, b) = (kept.Records[i], bare.Records[i]);
            Assert.True(a.Client == b.Client && a.Kind == b.Kind && a.Ok == b.Ok && a.Error == b.Error, $"seed {Seed}, operation {i}: {a} against {b}");
            Assert.True(b.CallNanoseconds <= b.ReturnNanoseconds && b.IntendedNanoseconds <= b.CallNanoseconds, $"seed {Seed}, operation {i}: {b}");
        }
    }

    [Fact]
    public async Task A_warm_up_is_refused_with_a_checked_history()
    {
        var job = await ParseAsync("--warmup", "2s", "--check");
        Assert.Contains("--warmup", job.Problem(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(2), job.Settings.Warmup);
        Assert.True(job.Settings.KeepArguments);
    }

    private static RpcException Rpc(StatusCode code, string detail, Exception? debug = null) => new(new Status(code, detail, debug));

    /// <summary>The job a loadgen command line makes (not run).</summary>
    internal static async Task<LoadgenJob> ParseAsync(params string[] args)
    {
        LoadgenJob? captured = null;
        var exit = await LoadgenCommand.Create((job, _) =>
        {
            captured = job;
            return Task.FromResult(0);
        }).Parse(args).InvokeAsync();
        Assert.Equal(0, exit);
        return captured!;
    }

    /// <summary>A linearizable in-memory store (one lock); every n-th write times out after applying (outcome unknown).</summary>
    private sealed class MemoryTarget(int failWritesEvery) : ILoadTarget
    {
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
        private int _writes;
        private int _calls;

        /// <summary>Operations asked of this target so far.</summary>
        public int Calls => Volatile.Read(ref _calls);

        public Task<string?> GetAsync(int client, string key, TimeSpan timeout)
        {
            Interlocked.Increment(ref _calls);
            lock (_values)
            {
                return Task.FromResult(_values.GetValueOrDefault(key));
            }
        }

        public Task PutAsync(int client, string key, string value, TimeSpan timeout) => Write(() => _values[key] = value);

        public Task AppendAsync(int client, string key, string value, TimeSpan timeout) =>
            Write(() => _values[key] = _values.GetValueOrDefault(key, "") + value);

        public Task DeleteAsync(int client, string key, TimeSpan timeout) => Write(() => _values.Remove(key));

        public Task<CasResult> CompareAndSetAsync(int client, string key, string? expected, string value, TimeSpan timeout)
        {
            Interlocked.Increment(ref _calls);
            lock (_values)
            {
                var current = _values.GetValueOrDefault(key);
                if (current != expected)
                {
                    return Task.FromResult(new CasResult(false, current));
                }

                _values[key] = value;
                return Task.FromResult(new CasResult(true, value));
            }
        }

        public bool? Classify(Exception? error) => error is null ? true : null;

        public string NameOf(Exception error) => "unknown: " + error.GetType().Name;

        private Task Write(Action apply)
        {
            Interlocked.Increment(ref _calls);
            lock (_values)
            {
                apply();
                return ++_writes % failWritesEvery == 0 ? Task.FromException(new TimeoutException()) : Task.CompletedTask;
            }
        }
    }
}
