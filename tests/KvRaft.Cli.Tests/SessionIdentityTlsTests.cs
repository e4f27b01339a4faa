// Goal: with client certificates required (mutual TLS on the client port), a session belongs to the certificate that registered it: a client presenting another certificate of the same CA cannot write under it, even knowing its id and next sequence, and the owner keeps writing. Method: a 3-process LocalCluster with TLS; two raw protocol connections over SslStream (the client certificate, and node 2's certificate as a second client identity) send frames built with the protocol codecs; the data is read back through KvClient.
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Cli.Tests;

public sealed class SessionIdentityTlsTests(TlsProcessCluster fixture) : IClassFixture<TlsProcessCluster>
{
    [Fact]
    public async Task A_second_client_certificate_cannot_write_under_the_first_ones_session()
    {
        var certificates = fixture.Cluster.Certificates!;
        await Bounded.Wait(fixture.Cluster.Client.PutAsync("owned", "before")); // a leader is elected
        await using var owner = await RawTlsClient.ConnectToLeaderAsync(fixture.Cluster.ClientEndpoints, certificates, certificates.ClientCertificateFile, certificates.ClientKeyFile);
        var session = owner.Registered;
        Assert.Equal(ClientStatus.Ok, (await owner.CallAsync(Put(session, 1, "owned", "by the owner"))).Status);

        await using var other = await RawTlsClient.ConnectAsync(owner.Endpoint, certificates, certificates.NodeCertificateFile(2), certificates.NodeKeyFile(2));
        var next = await other.CallAsync(Put(session, 2, "owned", "stolen"));
        Assert.Equal(ClientStatus.SessionNotOwned, next.Status);
        var replay = await other.CallAsync(Put(session, 1, "owned", "by the owner"));
        Assert.Equal(ClientStatus.SessionNotOwned, replay.Status); // not even the owner's stored answer

        Assert.Equal("by the owner", await Bounded.Wait(fixture.Cluster.Client.GetAsync("owned")));
        Assert.Equal(ClientStatus.Ok, (await owner.CallAsync(Put(session, 2, "owned", "still the owner's"))).Status);
        Assert.Equal("still the owner's", await Bounded.Wait(fixture.Cluster.Client.GetAsync("owned")));
    }

    private static ClientRequest Put(ulong session, ulong sequence, string key, string value) =>
        new() { Op = ClientOp.Put, ClientId = session, Sequence = sequence, Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) };

    /// <summary>One client connection over TLS speaking the wire protocol directly: one request at a time.</summary>
    private sealed class RawTlsClient : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly SslStream _tls;
        private ulong _nextRequestId = 1;

        private RawTlsClient(TcpClient tcp, SslStream tls, string endpoint)
        {
            _tcp = tcp;
            _tls = tls;
            Endpoint = endpoint;
        }

        public string Endpoint { get; }

        public ulong Registered { get; private set; }

        /// <summary>Registers a session at each endpoint in turn until the leader answers (bounded rounds).</summary>
        public static async Task<RawTlsClient> ConnectToLeaderAsync(IReadOnlyList<string> endpoints, CertificateFolder certificates, string certificateFile, string keyFile)
        {
            for (var attempt = 0; attempt < 50 * endpoints.Count; attempt++)
            {
                var client = await ConnectAsync(endpoints[attempt % endpoints.Count], certificates, certificateFile, keyFile);
                var answer = await client.CallAsync(new ClientRequest { Op = ClientOp.RegisterSession });
                if (answer.Status == ClientStatus.Ok)
                {
                    client.Registered = answer.ClientId;
                    return client;
                }
                await client.DisposeAsync();
                if (attempt % endpoints.Count == endpoints.Count - 1)
                {
                    await Task.Delay(100); // no leader yet: a new round
                }
            }
            throw new InvalidOperationException("no endpoint registered a session");
        }

        public static async Task<RawTlsClient> ConnectAsync(string endpoint, CertificateFolder certificates, string certificateFile, string keyFile)
        {
            var parts = endpoint.Split(':');
            var tcp = new TcpClient();
            await Bounded.Wait(tcp.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
            var tls = new SslStream(tcp.GetStream());
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            var ca = new X509Certificate2Collection();
            ca.ImportFromPemFile(certificates.CaFile);
            policy.CustomTrustStore.AddRange(ca);
            using var fromPem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            var certificate = X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), password: null);
            await Bounded.Wait(tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = parts[0],
                CertificateChainPolicy = policy,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = [certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            }));
            return new RawTlsClient(tcp, tls, endpoint);
        }

        public async Task<ClientResponse> CallAsync(ClientRequest request)
        {
            request = request with { RequestId = _nextRequestId++ };
            var frame = new byte[ClientRequestCodec.FrameSize(request)];
            ClientRequestCodec.FormatFrame(request, frame);
            await Bounded.Wait(_tls.WriteAsync(frame).AsTask());
            var header = new byte[FrameHeader.Bytes];
            await Bounded.Wait(_tls.ReadExactlyAsync(header).AsTask());
            var whole = new byte[FrameHeader.LengthBytes + (int)BitConverter.ToUInt32(header, 0)];
            header.CopyTo(whole, 0);
            await Bounded.Wait(_tls.ReadExactlyAsync(whole.AsMemory(FrameHeader.Bytes)).AsTask());
            var decoded = FrameDecoder.Decode(whole);
            Assert.Equal(FrameDecodeStatus.Frame, decoded.Status);
            Assert.True(ClientResponseCodec.Parse(decoded.Body(whole.AsMemory()), out var response).IsOk);
            Assert.Equal(request.RequestId, response.RequestId);
            return response;
        }

        public async ValueTask DisposeAsync()
        {
            await _tls.DisposeAsync();
            _tcp.Dispose();
        }
    }
}
