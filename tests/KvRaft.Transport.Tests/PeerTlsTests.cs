// Goal: with peer TLS on, only a peer presenting a certificate from the trusted CA that names the node id it claims (accepted) or was dialled as (dialled) gets a connection; plain TCP and other CAs are refused at the handshake, and the node keeps serving its real peers; method: in-process PeerTransports on 127.0.0.1 with certificates made by ClusterCertificates.
namespace KvRaft.Transport.Tests;

public sealed class PeerTlsTests(TlsFolders folders) : IClassFixture<TlsFolders>
{
    // Node 1 is a real peer dialling node 3; node 2 is configured but never runs, so a stranger can speak as it.
    private const int Real = 1;
    private const int Impersonated = 2;
    private const int Target = 3;

    [Fact]
    public async Task Peers_with_certificates_from_the_trusted_ca_exchange_messages_over_tls()
    {
        await using var cluster = await StartAsync();
        await AssertStillServesRealPeerAsync(cluster);
        Assert.Equal(0, cluster[Target].Transport.Statistics.TlsRefused);
        Assert.Equal(0, cluster[Real].Transport.Statistics.TlsRefused);
    }

    [Fact]
    public async Task A_peer_presenting_a_certificate_from_another_ca_is_refused_at_the_handshake()
    {
        await using var cluster = await StartAsync();
        // The stranger trusts the cluster's CA (so it does not hang up first) but presents node 2's certificate from another CA.
        var stranger = await StartStrangerAsync(cluster, TlsFolders.Peer(folders.Stranger, Impersonated, trusted: folders.Trusted));
        await using (stranger.Transport)
        {
            await cluster[Target].Logger.Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Text.Contains("TLS handshake", StringComparison.Ordinal) && entry.Text.Contains("not trusted", StringComparison.Ordinal)), "the refusal of the untrusted certificate");
            stranger.Transport.Send(Target, Frames.Heartbeat(Impersonated, Target, 42));
            stranger.Transport.Flush();
        }
        Assert.True(cluster[Target].Transport.Statistics.TlsRefused >= 1);
        await AssertStillServesRealPeerAsync(cluster);
        Assert.DoesNotContain(cluster[Target].Handler.Messages.Snapshot(), message => message.From == Impersonated);
        Assert.DoesNotContain(Impersonated, cluster[Target].Connections.Snapshot());
    }

    [Fact]
    public async Task A_peer_whose_certificate_names_another_node_than_its_hello_is_refused()
    {
        await using var cluster = await StartAsync();
        // A trusted certificate, but node 1's: the stranger claims to be node 2 in its hello.
        var stranger = await StartStrangerAsync(cluster, TlsFolders.Peer(folders.Trusted, Real));
        await using (stranger.Transport)
        {
            await cluster[Target].Logger.WaitForErrorAsync("names kvraft-node-1, localhost, not kvraft-node-2");
            stranger.Transport.Send(Target, Frames.Heartbeat(Impersonated, Target, 42));
            stranger.Transport.Flush();
        }
        Assert.True(cluster[Target].Transport.Statistics.HandshakesRefused >= 1);
        await AssertStillServesRealPeerAsync(cluster);
        Assert.DoesNotContain(cluster[Target].Handler.Messages.Snapshot(), message => message.From == Impersonated);
        Assert.DoesNotContain(Impersonated, cluster[Target].Connections.Snapshot());
    }

    [Fact]
    public async Task A_dialled_peer_whose_certificate_names_another_node_is_refused_by_the_dialler()
    {
        // Node 3 listens with node 2's (trusted) certificate: node 1 dials node 3 and must refuse it.
        var impostorPort = Ports.Free(1)[0];
        await using var cluster = await Cluster.StartAsync([Real], options => TlsFor(options) with
        {
            Peers = [new PeerEndpoint(Target, "127.0.0.1", impostorPort)],
        });
        var impostor = await StartStrangerAsync(cluster, TlsFolders.Peer(folders.Trusted, Impersonated), localNodeId: Target, listenPort: impostorPort, peerId: Real);
        await using (impostor.Transport)
        {
            await cluster[Real].Logger.Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Text.Contains("does not name node 3", StringComparison.Ordinal)), "the dialler's refusal");
        }
        Assert.True(cluster[Real].Transport.Statistics.TlsRefused >= 1);
        Assert.Empty(cluster[Real].Connections.Snapshot());
        Assert.Empty(impostor.Connections.Snapshot());
    }

    [Fact]
    public async Task Plain_tcp_against_a_tls_peer_port_is_refused_cleanly()
    {
        await using var cluster = await StartAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync([.. Frames.Hello(Cluster.ClusterId, Impersonated, Target), .. Frames.Message(Frames.Heartbeat(Impersonated, Target, 42))]);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the server to close the connection"));
        await cluster[Target].Logger.Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Text.Contains("not a TLS record", StringComparison.Ordinal)), "the plain TCP refusal");
        Assert.Equal(1, cluster[Target].Transport.Statistics.TlsRefused);
        Assert.Equal(0, cluster[Target].Transport.Statistics.MalformedFrames);
        await AssertStillServesRealPeerAsync(cluster);
        Assert.DoesNotContain(cluster[Target].Handler.Messages.Snapshot(), message => message.Context == 42);
    }

    private TransportOptions TlsFor(TransportOptions options) => options with { Tls = TlsFolders.Peer(folders.Trusted, options.LocalNodeId) };

    private Task<Cluster> StartAsync() =>
        Cluster.StartAsync([Real, Target], options => TlsFor(options) with
        {
            Peers = [.. options.Peers, new PeerEndpoint(Impersonated, "127.0.0.1", 1)],
        });

    /// <summary>A transport outside the cluster, as node <paramref name="localNodeId"/>, with its own TLS files.</summary>
    private static async Task<Node> StartStrangerAsync(Cluster cluster, TlsFiles tls, int localNodeId = Impersonated, int listenPort = 0, int peerId = Target)
    {
        var options = new TransportOptions
        {
            LocalNodeId = localNodeId,
            ClusterId = Cluster.ClusterId,
            ListenHost = "127.0.0.1",
            ListenPort = listenPort,
            Peers = [new PeerEndpoint(peerId, "127.0.0.1", peerId == Target ? cluster.PortOf(Target) : 1)],
            ReconnectDelayMinMilliseconds = 20,
            ReconnectDelayMaxMilliseconds = 200,
            Tls = tls,
        };
        var handler = new RecordingPeerHandler();
        var connections = new Recorder<int>();
        var transport = new PeerTransport(options, handler, new RecordingLogger());
        transport.PeerConnected += connections.Add;
        await transport.StartAsync();
        return new Node { Id = localNodeId, Transport = transport, Handler = handler, Logger = new RecordingLogger(), Connections = connections };
    }

    private static async Task AssertStillServesRealPeerAsync(Cluster cluster)
    {
        var context = Random.Shared.NextInt64(1000, long.MaxValue);
        cluster[Real].Transport.Send(Target, Frames.Heartbeat(Real, Target, context));
        cluster[Real].Transport.Flush();
        await cluster[Target].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), "the real peer's heartbeat");
        Assert.True(cluster[Target].Transport.IsConnected(Real));
    }
}
