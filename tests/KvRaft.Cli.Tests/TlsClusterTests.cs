// Goal: a cluster started with mutual TLS serves clients that present a certificate from its CA (KvClient and the CLI), takes a node that joins over TLS (--join), and refuses, without stopping, clients without one, plain TCP clients, clients that do not trust its CA, and peers with a certificate from another CA; method: LocalCluster with Tls (node processes given the TLS flags; in-process nodes where the test reads the nodes' logs), a stranger PeerTransport on 127.0.0.1.
using KvRaft.Client;
using KvRaft.LocalCluster;
using KvRaft.Protocol;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Cli.Tests;

public sealed class TlsClusterTests(TlsProcessCluster fixture) : IClassFixture<TlsProcessCluster>
{
    [Fact]
    public async Task A_tls_cluster_of_processes_serves_puts_and_gets_through_a_client_with_a_certificate()
    {
        var client = fixture.Cluster.Client;
        await Bounded.Wait(client.PutAsync("tls-key", "over tls"));
        Assert.Equal("over tls", await Bounded.Wait(client.GetAsync("tls-key")));
        await Bounded.Wait(client.AppendAsync("tls-key", "+more"));
        Assert.Equal("over tls+more", await Bounded.Wait(client.GetAsync("tls-key")));
    }

    [Fact]
    public async Task A_spare_node_joins_the_tls_cluster_as_a_learner_over_tls()
    {
        var joined = await Bounded.Wait(fixture.Cluster.AddNodeAsync()); // --join with the node's TLS flags
        var listing = await Bounded.Wait(fixture.Cluster.Client.MemberListAsync());
        Assert.Equal(MemberRoles.Learner, listing.Members.Single(member => member.NodeId == joined).Roles);
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task The_cli_reaches_a_tls_cluster_with_cacert_cert_and_key()
    {
        var certificates = fixture.Cluster.Certificates!;
        string[] connection = ["--endpoints", string.Join(',', fixture.Cluster.ClientEndpoints), "--cacert", certificates.CaFile, "--cert", certificates.ClientCertificateFile, "--key", certificates.ClientKeyFile];
        Assert.Equal(new ToolRun(0, "OK\n", ""), await Tool.Kvraft([.. connection, "put", "cli-tls", "v"]));
        Assert.Equal(new ToolRun(0, "v\n", ""), await Tool.Kvraft([.. connection, "get", "cli-tls"]));
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_when_client_certificates_are_required()
    {
        var tls = KvClientTls.FromPemFiles(fixture.Cluster.Certificates!.CaFile);
        await using var client = fixture.Cluster.CreateClient(Bounded.ClientOptions() with { Tls = tls, OperationTimeout = TimeSpan.FromSeconds(2) });
        await Assert.ThrowsAnyAsync<KvException>(() => Bounded.Wait(client.GetAsync("tls-key")));
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task A_plain_tcp_client_is_refused_by_a_tls_cluster()
    {
        await using var client = KvClient.Connect(fixture.Cluster.ClientEndpoints, Bounded.ClientOptions() with { OperationTimeout = TimeSpan.FromSeconds(2) });
        await Assert.ThrowsAnyAsync<KvException>(() => Bounded.Wait(client.GetAsync("tls-key")));
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_cluster_ca_fails_at_once_with_a_tls_error()
    {
        using var other = new TempFolder("kvraft-other-ca");
        var stranger = ClusterCertificates.Create(other.Path, 1);
        var tls = KvClientTls.FromPemFiles(stranger.CaFile, stranger.ClientCertificateFile, stranger.ClientKeyFile);
        await using var client = KvClient.Connect(fixture.Cluster.ClientEndpoints, Bounded.ClientOptions() with { Tls = tls });
        var refused = await Assert.ThrowsAsync<KvNotAppliedException>(() => Bounded.Wait(client.PutAsync("never", "applied")));
        Assert.Contains("TLS handshake", refused.Message, StringComparison.Ordinal);
        await AssertClusterServesAsync();
    }

    private async Task AssertClusterServesAsync()
    {
        for (var id = 1; id <= fixture.Cluster.NodeCount; id++)
        {
            Assert.True(fixture.Cluster.IsRunning(id), $"node {id} stopped");
        }

        await Bounded.Wait(fixture.Cluster.Client.PutAsync("still", "serving"));
    }
}

public sealed class TlsPeerRefusalTests
{
    [Fact]
    public async Task A_peer_presenting_a_certificate_from_another_ca_is_refused_and_the_cluster_keeps_its_quorum()
    {
        using var folder = new TempFolder("kvraft-tls-peers");
        using var other = new TempFolder("kvraft-other-ca");
        using var loggers = new RefusalWatch("not trusted");
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess) with { Tls = true }, loggers);
        await Bounded.Wait(cluster.Client.PutAsync("before", "stranger"));
        var stranger = ClusterCertificates.Create(other.Path, 1);
        int[] peerPorts = [.. File.ReadAllLines(Path.Combine(folder.Path, "cluster.ports")).Select(line => int.Parse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))];
        var options = new TransportOptions
        {
            // Claims to be node 1 (so it dials nodes 2 and 3), trusts the cluster's CA, presents node 1's certificate of another CA.
            LocalNodeId = 1,
            ClusterId = 1,
            ListenHost = "127.0.0.1",
            ListenPort = 0,
            Peers = [new PeerEndpoint(2, "127.0.0.1", peerPorts[1]), new PeerEndpoint(3, "127.0.0.1", peerPorts[2])],
            Tls = new TlsFiles { CertificateFile = stranger.NodeCertificateFile(1), KeyFile = stranger.NodeKeyFile(1), TrustedCaFile = cluster.Certificates!.CaFile },
        };
        await using (var transport = new PeerTransport(options, new IgnoringPeerHandler(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
        {
            await transport.StartAsync();
            await Bounded.Wait(loggers.Refused);
        }
        for (var id = 1; id <= 3; id++)
        {
            Assert.True(cluster.IsRunning(id), $"node {id} stopped");
        }

        await Bounded.Wait(cluster.Client.PutAsync("after", "stranger"));
        Assert.Equal("stranger", await Bounded.Wait(cluster.Client.GetAsync("before")));
    }

    private sealed class IgnoringPeerHandler : IPeerHandler
    {
        public void OnPeerMessage(PeerSender sender, in Protocol.PeerMessage message) => throw new InvalidOperationException("the stranger got a message");
        public void OnSnapshotChunk(PeerSender sender, in Protocol.SnapshotChunk chunk) => throw new InvalidOperationException("the stranger got a chunk");
        public void OnPeerDisconnected(PeerSender sender)
        {
        }
    }

    /// <summary>Loggers of the in-process nodes; <see cref="Refused"/> completes on the first TLS refusal naming the reason.</summary>
    private sealed class RefusalWatch(string reason) : ILoggerFactory, ILoggerProvider, ILogger
    {
        private readonly TaskCompletionSource _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Refused => _refused.Task;

        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider)
        {
        }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (text.Contains("TLS handshake", StringComparison.Ordinal) && text.Contains(reason, StringComparison.Ordinal))
            {
                _refused.TrySetResult();
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>One TLS cluster of node processes shared by <see cref="TlsClusterTests"/>.</summary>
public sealed class TlsProcessCluster : IAsyncLifetime
{
    private readonly TempFolder _folder = new("kvraft-tls-cluster");
    private LocalCluster.LocalCluster? _cluster;

    public LocalCluster.LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _cluster = await LocalCluster.LocalCluster.StartAsync(3, _folder.Path, Bounded.ClusterOptions(LocalClusterMode.Processes) with { Tls = true, SpareNodes = 1 });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _folder.Dispose();
    }
}
