// Goal: a node's data directory is its own: created 0700, refused (with both ids named) to a node of another cluster or another node id, and refused to a second process while one holds it, a lock that goes away with its process even after SIGKILL; method: single-node in-process KvServers on free 127.0.0.1 ports and real kvraft-server processes, on temporary folders deleted at the end.
using System.Diagnostics;
using KvRaft.Server.Hosting;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class DataDirectoryTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-datadir-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_data_directory_is_created_0700_and_records_its_cluster_and_node()
    {
        var options = Options(nodeId: 1, clusterId: 4242);
        await (await KvServer.StartAsync(options, NullLoggerFactory.Instance)).DisposeAsync();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(options.DataDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(options.DataDir, "log")));
        }
        Assert.Equal((4242UL, 1), DataDirectory.ReadIdentity(options.DataDir));
    }

    [Fact]
    public async Task A_node_refuses_another_clusters_data_directory_naming_both_ids()
    {
        await (await KvServer.StartAsync(Options(nodeId: 1, clusterId: 4242), NullLoggerFactory.Instance)).DisposeAsync();
        var refused = await Assert.ThrowsAsync<DataDirectoryRefusedException>(() => KvServer.StartAsync(Options(nodeId: 1, clusterId: 777), NullLoggerFactory.Instance));
        Assert.Contains("cluster 4242", refused.Message, StringComparison.Ordinal);
        Assert.Contains("cluster 777", refused.Message, StringComparison.Ordinal);
        // The refusal changed nothing: the rightful node starts again.
        await (await KvServer.StartAsync(Options(nodeId: 1, clusterId: 4242), NullLoggerFactory.Instance)).DisposeAsync();
    }

    [Fact]
    public async Task A_node_refuses_another_nodes_data_directory_naming_both_ids()
    {
        await (await KvServer.StartAsync(Options(nodeId: 1, clusterId: 4242), NullLoggerFactory.Instance)).DisposeAsync();
        var refused = await Assert.ThrowsAsync<DataDirectoryRefusedException>(() => KvServer.StartAsync(Options(nodeId: 2, clusterId: 4242), NullLoggerFactory.Instance));
        Assert.Contains("belongs to node 1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("started as node 2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_started_without_a_cluster_id_takes_the_one_its_directory_records()
    {
        await (await KvServer.StartAsync(Options(nodeId: 1, clusterId: 4242), NullLoggerFactory.Instance)).DisposeAsync();
        await (await KvServer.StartAsync(Options(nodeId: 1, clusterId: 0), NullLoggerFactory.Instance)).DisposeAsync();
        Assert.Equal((4242UL, 1), DataDirectory.ReadIdentity(Options(1, 0).DataDir));
    }

    [Fact]
    public async Task A_second_server_on_a_data_directory_in_use_is_refused_naming_the_directory()
    {
        var options = Options(nodeId: 1, clusterId: 4242);
        await using var first = await KvServer.StartAsync(options, NullLoggerFactory.Instance);
        var refused = await Assert.ThrowsAsync<DataDirectoryRefusedException>(() => KvServer.StartAsync(options with { PeerListen = Free(), ClientListen = Free() }, NullLoggerFactory.Instance));
        Assert.Contains(Path.GetFullPath(options.DataDir), refused.Message, StringComparison.Ordinal);
        Assert.Contains("in use by another process", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_process_on_a_data_directory_in_use_is_refused()
    {
        var options = Options(nodeId: 1, clusterId: 4242);
        await using var first = await KvServer.StartAsync(options, NullLoggerFactory.Instance);
        using var second = ServerProcess.Start(options with { PeerListen = Free(), ClientListen = Free() });
        var exitCode = await second.ExitAsync(Limit);
        Assert.Equal(Program.ExitFailed, exitCode);
        Assert.Contains("in use by another process", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lock_goes_away_with_a_process_killed_by_SIGKILL()
    {
        var options = Options(nodeId: 1, clusterId: 4242);
        using (var process = ServerProcess.Start(options))
        {
            await process.WaitForOutputAsync("serving clients", Limit);
            await Assert.ThrowsAsync<DataDirectoryRefusedException>(() => KvServer.StartAsync(options with { PeerListen = Free(), ClientListen = Free() }, NullLoggerFactory.Instance));
            await process.KillAsync(Limit);
        }
        await (await KvServer.StartAsync(options, NullLoggerFactory.Instance)).DisposeAsync();
    }

    private ServerOptions Options(int nodeId, ulong clusterId)
    {
        var peer = Free();
        return new ServerOptions
        {
            Id = nodeId,
            PeerListen = peer,
            ClientListen = Free(),
            Peers = $"{nodeId}={peer}",
            ClusterId = clusterId,
            DataDir = Path.Combine(_folder, "node"),
        };
    }

    private static string Free() => "127.0.0.1:" + Transport.LoopbackPorts.Free(1)[0];

    /// <summary>A kvraft-server process whose output the test can await; killed when disposed.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        private readonly SemaphoreSlim _line = new(0);

        private ServerProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, line) => Add(line.Data);
            _process.ErrorDataReceived += (_, line) => Add(line.Data);
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static ServerProcess Start(ServerOptions options)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "kvraft-server.dll"), "--id", options.Id.ToString(), "--peer-listen", options.PeerListen,
                "--client-listen", options.ClientListen, "--peers", options.Peers, "--data-dir", options.DataDir, "--cluster-id", options.ClusterId.ToString(),
            })
            {
                start.ArgumentList.Add(argument);
            }
            var server = new ServerProcess(Process.Start(start)!);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            return server;
        }

        public async Task<int> ExitAsync(TimeSpan limit)
        {
            using var deadline = new CancellationTokenSource(limit);
            await _process.WaitForExitAsync(deadline.Token);
            return _process.ExitCode;
        }

        public async Task WaitForOutputAsync(string fragment, TimeSpan limit)
        {
            using var deadline = new CancellationTokenSource(limit);
            while (!Output.Contains(fragment, StringComparison.Ordinal))
            {
                Assert.False(_process.HasExited, "the server exited: " + Output);
                await _line.WaitAsync(deadline.Token);
            }
        }

        public async Task KillAsync(TimeSpan limit)
        {
            _process.Kill(); // SIGKILL: no handler runs, the kernel closes the lock file
            await ExitAsync(limit);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.WaitForExit();
            _process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            _line.Release();
        }
    }
}
