// Goal: the server's TLS flags (etcd's names) reach ServerOptions from the command line and from a JSON config, come in whole sets, and a file that does not load stops the start with a message naming it; method: the server's own command line and validation on certificates made by ClusterCertificates in a temp folder.
using KvRaft.LocalCluster;
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ServerTlsOptionsTests : IDisposable
{
    private static readonly string[] Required =
    [
        "--id", "1", "--peer-listen", "127.0.0.1:7001", "--client-listen", "127.0.0.1:8001",
        "--peers", "1=127.0.0.1:7001", "--data-dir", "/tmp/unused",
    ];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kvraft-tls-options-" + Guid.NewGuid().ToString("N"));
    private readonly CertificateFolder _certificates;

    public ServerTlsOptionsTests() => _certificates = ClusterCertificates.Create(_folder, 1);

    [Fact]
    public async Task Tls_flags_named_like_etcds_fill_the_options_and_validate()
    {
        var parsed = await ParseAsync([.. Required, .. TlsFlags()]);
        Assert.NotNull(parsed);
        Assert.Equal(_certificates.NodeCertificateFile(1), parsed.PeerCertFile);
        Assert.Equal(_certificates.CaFile, parsed.PeerTrustedCaFile);
        Assert.Equal(_certificates.NodeKeyFile(1), parsed.KeyFile);
        Assert.True(parsed.ClientCertAuth);
        Assert.Equal(_certificates.CaFile, parsed.TrustedCaFile);
        parsed.Validate();
    }

    [Fact]
    public void A_json_config_carries_the_tls_settings_under_camel_case_names()
    {
        var path = Path.Combine(_folder, "node.json");
        File.WriteAllText(path, $$"""
            { "id": 1, "peerListen": "127.0.0.1:7001", "clientListen": "127.0.0.1:8001", "peers": "1=127.0.0.1:7001", "dataDir": "/tmp/unused", "tickMilliseconds": 10, "electionTicks": 30, "heartbeatTicks": 3,
              "peerCertFile": "{{_certificates.NodeCertificateFile(1)}}", "peerKeyFile": "{{_certificates.NodeKeyFile(1)}}", "peerTrustedCaFile": "{{_certificates.CaFile}}",
              "certFile": "{{_certificates.NodeCertificateFile(1)}}", "keyFile": "{{_certificates.NodeKeyFile(1)}}", "clientCertAuth": true, "trustedCaFile": "{{_certificates.CaFile}}" }
            """);
        var options = ServerOptions.FromJsonFile(path);
        Assert.Equal(_certificates.NodeKeyFile(1), options.PeerKeyFile);
        Assert.True(options.ClientCertAuth);
        options.Validate();
    }

    [Theory]
    [InlineData("--peer-cert-file", "peer TLS needs all of")]
    [InlineData("--key-file", "client TLS needs both")]
    [InlineData("--trusted-ca-file", "--client-cert-auth needs")]
    public async Task Tls_flags_must_come_in_whole_sets(string leftOut, string message)
    {
        var flags = TlsFlags();
        var at = Array.IndexOf(flags, leftOut);
        var parsed = await ParseAsync([.. Required, .. flags[..at], .. flags[(at + 2)..]]);
        var refused = Assert.Throws<FormatException>(parsed!.Validate);
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_ca_without_client_cert_auth_is_refused()
    {
        var parsed = await ParseAsync([.. Required, "--cert-file", _certificates.NodeCertificateFile(1), "--key-file", _certificates.NodeKeyFile(1), "--trusted-ca-file", _certificates.CaFile]);
        Assert.Contains("only with --client-cert-auth", Assert.Throws<FormatException>(parsed!.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_file_that_does_not_load_is_refused_naming_it()
    {
        var missing = Path.Combine(_folder, "missing.pem");
        var parsed = await ParseAsync([.. Required, "--cert-file", missing, "--key-file", _certificates.NodeKeyFile(1)]);
        Assert.Contains(missing, Assert.Throws<FormatException>(parsed!.Validate).Message, StringComparison.Ordinal);
        // A key that is not the certificate's.
        parsed = await ParseAsync([.. Required, "--cert-file", _certificates.NodeCertificateFile(1), "--key-file", _certificates.ClientKeyFile]);
        Assert.Contains(_certificates.NodeCertificateFile(1), Assert.Throws<FormatException>(parsed!.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_joining_node_with_client_tls_needs_the_ca_it_verifies_the_cluster_with()
    {
        string[] join = ["--id", "4", "--peer-listen", "127.0.0.1:7004", "--client-listen", "127.0.0.1:8004", "--join", "127.0.0.1:8001", "--data-dir", "/tmp/unused"];
        string[] tls = ["--cert-file", _certificates.NodeCertificateFile(1), "--key-file", _certificates.NodeKeyFile(1)];
        var parsed = await ParseAsync([.. join, .. tls]);
        Assert.Contains("needs --trusted-ca-file", Assert.Throws<FormatException>(parsed!.Validate).Message, StringComparison.Ordinal);

        parsed = await ParseAsync([.. join, .. tls, "--trusted-ca-file", _certificates.CaFile]); // no --client-cert-auth: the join's CA alone
        parsed!.Validate();
        var joinTls = parsed.JoinTls();
        Assert.NotNull(joinTls);
        Assert.NotNull(joinTls.ClientCertificate);
        Assert.Null((await ParseAsync(join))!.JoinTls()); // a plain client port: a plain join

        parsed = await ParseAsync([.. join, .. tls, "--trusted-ca-file", Path.Combine(_folder, "missing.pem")]);
        Assert.Contains("missing.pem", Assert.Throws<FormatException>(parsed!.Validate).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string[] TlsFlags() =>
    [
        "--peer-cert-file", _certificates.NodeCertificateFile(1), "--peer-key-file", _certificates.NodeKeyFile(1), "--peer-trusted-ca-file", _certificates.CaFile,
        "--cert-file", _certificates.NodeCertificateFile(1), "--key-file", _certificates.NodeKeyFile(1), "--client-cert-auth", "--trusted-ca-file", _certificates.CaFile,
    ];

    private static async Task<ServerOptions?> ParseAsync(string[] arguments)
    {
        ServerOptions? parsed = null;
        var root = ServerCommand.Create((options, _) =>
        {
            parsed = options;
            return Task.FromResult(0);
        });
        await root.Parse(arguments).InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = TextWriter.Null, Output = TextWriter.Null });
        return parsed;
    }
}
