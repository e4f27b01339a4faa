// Goal: renewed certificate files are picked up without a restart, and a file that fails to load keeps the certificates in force; method: TlsCredentials over PEM files in a temp folder, rewritten with a later write time, looked at again at once (recheck interval 0).
using System.Security.Cryptography.X509Certificates;

namespace KvRaft.Transport.Tests;

public sealed class TlsReloadTests(TlsFolders folders) : IClassFixture<TlsFolders>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kvraft-tls-reload-").FullName;

    [Fact]
    public void Changed_certificate_files_are_loaded_for_new_connections()
    {
        var files = Copy(folders.Trusted, 1);
        var logger = new RecordingLogger();
        var credentials = new TlsCredentials(files, logger, recheckMilliseconds: 0);
        var before = credentials.Current.Certificate.Thumbprint;
        Replace(files, folders.Trusted, 2);
        var after = credentials.Current.Certificate;
        Assert.NotEqual(before, after.Thumbprint);
        Assert.Equal(PeerIdentity.NameOf(2), after.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains(logger.Entries.Snapshot(), entry => entry.Text.Contains("Reloaded the TLS certificates", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_that_fails_to_load_keeps_the_certificates_in_force()
    {
        var files = Copy(folders.Trusted, 1);
        var logger = new RecordingLogger();
        var credentials = new TlsCredentials(files, logger, recheckMilliseconds: 0);
        var before = credentials.Current.Certificate.Thumbprint;
        File.WriteAllText(files.CertificateFile, "-----BEGIN CERTIFICATE-----\nhalf written");
        File.SetLastWriteTimeUtc(files.CertificateFile, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(before, credentials.Current.Certificate.Thumbprint);
        Assert.Contains(logger.Entries.Snapshot(), entry => entry.Text.Contains("Keeping the previous TLS certificates", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private TlsFiles Copy(LocalCluster.CertificateFolder source, int nodeId)
    {
        var files = new TlsFiles
        {
            CertificateFile = Path.Combine(_folder, "node.pem"),
            KeyFile = Path.Combine(_folder, "node-key.pem"),
            TrustedCaFile = Path.Combine(_folder, "ca.pem"),
        };
        File.Copy(source.NodeCertificateFile(nodeId), files.CertificateFile);
        File.Copy(source.NodeKeyFile(nodeId), files.KeyFile);
        File.Copy(source.CaFile, files.TrustedCaFile);
        return files;
    }

    /// <summary>Overwrites the certificate and key with node <paramref name="nodeId"/>'s, dated a minute ahead so that the change shows whatever the clock's resolution.</summary>
    private static void Replace(TlsFiles files, LocalCluster.CertificateFolder source, int nodeId)
    {
        File.Copy(source.NodeCertificateFile(nodeId), files.CertificateFile, overwrite: true);
        File.Copy(source.NodeKeyFile(nodeId), files.KeyFile, overwrite: true);
        File.SetLastWriteTimeUtc(files.CertificateFile, DateTime.UtcNow.AddMinutes(1));
        File.SetLastWriteTimeUtc(files.KeyFile, DateTime.UtcNow.AddMinutes(1));
    }
}
