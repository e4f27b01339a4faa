// Goal: with TLS on the client port, a client over TLS is served; with client certificates required, a client without one, or with one from another CA, is refused at the handshake; plain TCP is refused cleanly; method: a live ClientListener on 127.0.0.1 and SslStream clients.
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class ClientPortTlsTests(TlsFolders folders) : IClassFixture<TlsFolders>
{
    [Fact]
    public async Task A_client_over_tls_is_served_without_a_certificate_when_none_is_required()
    {
        var handler = new TlsClientHandler();
        await using var listener = await StartAsync(handler, requireClientCertificates: false);
        await using var client = await TlsClient.ConnectAsync(listener.Port, certificate: null);
        await client.SendAsync(Frames.Request(new ClientRequest { RequestId = 7, Op = ClientOp.Status }));
        var received = await handler.Requests.WaitForCountAsync(1, "the request");
        Assert.Equal(7UL, received[0].Request.RequestId);
        Assert.Null(received[0].Connection.CertificateNames);
    }

    [Fact]
    public async Task A_client_with_a_trusted_certificate_is_served_and_named_when_certificates_are_required()
    {
        var handler = new TlsClientHandler();
        await using var listener = await StartAsync(handler, requireClientCertificates: true);
        await using var client = await TlsClient.ConnectAsync(listener.Port, folders.Trusted);
        await client.SendAsync(Frames.Request(new ClientRequest { RequestId = 8, Op = ClientOp.Status }));
        var received = await handler.Requests.WaitForCountAsync(1, "the request");
        Assert.Equal("kvraft-client", received[0].Connection.CertificateNames![0]);
        Assert.Equal(0, listener.Statistics.TlsRefused);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_when_certificates_are_required()
    {
        var handler = new TlsClientHandler();
        var logger = new RecordingLogger();
        await using var listener = await StartAsync(handler, requireClientCertificates: true, logger);
        await AssertRefusedAsync(listener, logger, certificate: null, "no certificate presented");
    }

    [Fact]
    public async Task A_client_with_a_certificate_from_another_ca_is_refused()
    {
        var handler = new TlsClientHandler();
        var logger = new RecordingLogger();
        await using var listener = await StartAsync(handler, requireClientCertificates: true, logger);
        await AssertRefusedAsync(listener, logger, folders.Stranger, "not trusted");
    }

    [Fact]
    public async Task Plain_tcp_against_a_tls_client_port_is_refused_cleanly()
    {
        var handler = new TlsClientHandler();
        var logger = new RecordingLogger();
        await using var listener = await StartAsync(handler, requireClientCertificates: false, logger);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.Request(new ClientRequest { RequestId = 9, Op = ClientOp.Status }));
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the server to close the connection"));
        await logger.Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Text.Contains("not a TLS record", StringComparison.Ordinal)), "the plain TCP refusal");
        Assert.Equal(1, listener.Statistics.TlsRefused);
        Assert.Equal(0, listener.Statistics.RequestsReceived);
    }

    private static async Task AssertRefusedAsync(ClientListener listener, RecordingLogger logger, CertificateFolder? certificate, string reason)
    {
        // TLS 1.3: the client may finish its side of the handshake before the server refuses its certificate; it then learns on its first read.
        try
        {
            await using var client = await TlsClient.ConnectAsync(listener.Port, certificate);
            await client.SendAsync(Frames.Request(new ClientRequest { RequestId = 10, Op = ClientOp.Status }));
            Assert.True(await Wait.For(client.ClosedByRemoteAsync(), "the server to close the connection"));
        }
        catch (Exception error) when (error is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Refused during the client's handshake.
        }
        await logger.Entries.WaitUntilAsync(entries => entries.Any(entry => entry.Text.Contains(reason, StringComparison.Ordinal)), "the refusal: " + reason);
        Assert.Equal(1, listener.Statistics.TlsRefused);
        Assert.Equal(0, listener.Statistics.RequestsReceived);
    }

    private async Task<ClientListener> StartAsync(TlsClientHandler handler, bool requireClientCertificates, RecordingLogger? logger = null)
    {
        var tls = new TlsFiles
        {
            CertificateFile = folders.Trusted.NodeCertificateFile(1),
            KeyFile = folders.Trusted.NodeKeyFile(1),
            TrustedCaFile = requireClientCertificates ? folders.Trusted.CaFile : null,
        };
        var listener = new ClientListener("127.0.0.1", 0, handler, logger ?? new RecordingLogger(), new ClientListenerOptions { Tls = tls });
        await listener.StartAsync();
        return listener;
    }

    private sealed class TlsClientHandler : IClientHandler
    {
        public Recorder<(ClientConnection Connection, ClientRequest Request)> Requests { get; } = new();

        public void OnClientRequest(ClientConnection connection, in ClientRequest request) => Requests.Add((connection, request));

        public void OnClientDisconnected(ClientConnection connection)
        {
        }
    }

    /// <summary>An SslStream client that trusts the server (the tests here check the server's side).</summary>
    private sealed class TlsClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly SslStream _stream;

        private TlsClient(Socket socket, SslStream stream)
        {
            _socket = socket;
            _stream = stream;
        }

        public static async Task<TlsClient> ConnectAsync(int port, CertificateFolder? certificate)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            };
            if (certificate is not null)
            {
                var own = X509Certificate2.CreateFromPemFile(certificate.ClientCertificateFile, certificate.ClientKeyFile);
                options.ClientCertificates = [X509CertificateLoader.LoadPkcs12(own.Export(X509ContentType.Pkcs12), null)];
                options.LocalCertificateSelectionCallback = (_, _, _, _, _) => options.ClientCertificates[0];
            }
            try
            {
                await stream.AuthenticateAsClientAsync(options);
            }
            catch
            {
                await stream.DisposeAsync();
                socket.Dispose();
                throw;
            }
            return new TlsClient(socket, stream);
        }

        public async Task SendAsync(byte[] bytes)
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        public async Task<bool> ClosedByRemoteAsync()
        {
            var buffer = new byte[4096];
            try
            {
                while (await _stream.ReadAsync(buffer) > 0)
                {
                }
                return true;
            }
            catch (Exception error) when (error is IOException or System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync();
            _socket.Dispose();
        }
    }
}
