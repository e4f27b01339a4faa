// Goal: certificate folders for the TLS tests: a trusted CA with nodes 1-3 and a client, and a second, untrusted CA with the same names; method: ClusterCertificates in a temp folder removed on dispose.
using KvRaft.LocalCluster;

namespace KvRaft.Transport.Tests;

/// <summary>Two certificate folders made once per test class: <see cref="Trusted"/> and <see cref="Stranger"/> (another CA).</summary>
public sealed class TlsFolders : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvraft-tls-" + Guid.NewGuid().ToString("N"));

    public TlsFolders()
    {
        Trusted = ClusterCertificates.Create(Path.Combine(_root, "trusted"), 3);
        Stranger = ClusterCertificates.Create(Path.Combine(_root, "stranger"), 3);
    }

    public CertificateFolder Trusted { get; }

    public CertificateFolder Stranger { get; }

    /// <summary>Node <paramref name="certificateOf"/>'s certificate from <paramref name="folder"/>, trusting <paramref name="trusted"/>'s CA.</summary>
    public static TlsFiles Peer(CertificateFolder folder, int certificateOf, CertificateFolder? trusted = null) => new()
    {
        CertificateFile = folder.NodeCertificateFile(certificateOf),
        KeyFile = folder.NodeKeyFile(certificateOf),
        TrustedCaFile = (trusted ?? folder).CaFile,
    };

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
