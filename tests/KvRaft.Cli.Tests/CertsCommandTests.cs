// Goal: `kvraft certs create` writes a CA and node and client certificates that load, chain to that CA, carry the names and usages TLS checks, and keep their keys private; method: run the built kvraft.dll into a temp folder and verify every file with System.Security.Cryptography.
using System.Security.Cryptography.X509Certificates;
using KvRaft.Transport;

namespace KvRaft.Cli.Tests;

public sealed class CertsCommandTests
{
    [Fact]
    public async Task Certs_create_output_loads_and_validates_against_its_ca()
    {
        using var folder = new TempFolder("kvraft-certs");
        var run = await Tool.Kvraft("certs", "create", "--dir", folder.Path, "--nodes", "3");
        Assert.Equal(0, run.ExitCode);
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder.Path, "ca.pem"));
        for (var id = 1; id <= 3; id++)
        {
            using var node = X509Certificate2.CreateFromPemFile(Path.Combine(folder.Path, $"node-{id}.pem"), Path.Combine(folder.Path, $"node-{id}-key.pem"));
            Assert.True(node.HasPrivateKey);
            AssertChains(node, ca, "1.3.6.1.5.5.7.3.1");
            AssertChains(node, ca, "1.3.6.1.5.5.7.3.2");
            var names = PeerIdentity.NamesOf(node);
            Assert.True(PeerIdentity.Names(names, id), string.Join(", ", names));
            Assert.False(PeerIdentity.Names(names, id % 3 + 1));
            AssertPrivate(Path.Combine(folder.Path, $"node-{id}-key.pem"));
        }
        using var client = X509Certificate2.CreateFromPemFile(Path.Combine(folder.Path, "client.pem"), Path.Combine(folder.Path, "client-key.pem"));
        AssertChains(client, ca, "1.3.6.1.5.5.7.3.2");
        Assert.DoesNotContain(PeerIdentity.NamesOf(client), name => name.StartsWith("kvraft-node-", StringComparison.Ordinal));
        AssertPrivate(Path.Combine(folder.Path, "client-key.pem"));
        AssertPrivate(Path.Combine(folder.Path, "ca-key.pem"));
    }

    private static void AssertChains(X509Certificate2 certificate, X509Certificate2 ca, string usage)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(usage));
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation)));
    }

    private static void AssertPrivate(string keyFile)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
    }
}
