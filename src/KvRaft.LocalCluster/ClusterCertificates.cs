using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KvRaft.Transport;

namespace KvRaft.LocalCluster;

/// <summary>
/// Where the PEM files of a certificate folder made by <see cref="ClusterCertificates"/> are: a CA, one certificate
/// per node (for both its peer and client ports) and a client certificate. Keys are unencrypted and mode 0600.
/// </summary>
public sealed record CertificateFolder(string Directory)
{
    /// <summary>The CA certificate: the trusted CA file of every node and client.</summary>
    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>The CA's private key (kept to issue more certificates; nodes and clients never read it).</summary>
    public string CaKeyFile => Path.Combine(Directory, "ca-key.pem");

    /// <summary>Node <paramref name="nodeId"/>'s certificate: names kvraft-node-ID, localhost, 127.0.0.1 and ::1; server and client use.</summary>
    public string NodeCertificateFile(int nodeId) => Path.Combine(Directory, $"node-{nodeId}.pem");

    /// <summary>The private key of <see cref="NodeCertificateFile"/>.</summary>
    public string NodeKeyFile(int nodeId) => Path.Combine(Directory, $"node-{nodeId}-key.pem");

    /// <summary>A client certificate (common name kvraft-client, client use only).</summary>
    public string ClientCertificateFile => Path.Combine(Directory, "client.pem");

    /// <summary>The private key of <see cref="ClientCertificateFile"/>.</summary>
    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");
}

/// <summary>
/// Makes a CA and certificates for a local cluster with System.Security.Cryptography alone (no openssl):
/// ECDSA P-256 keys, a CA valid 10 years, node and client certificates valid <see cref="LeafValidityDays"/> days.
/// For trials and tests on one machine; a real deployment uses its own CA.
/// </summary>
public static class ClusterCertificates
{
    /// <summary>Validity of node and client certificates.</summary>
    public const int LeafValidityDays = 825;

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>Creates (or overwrites) a CA, <paramref name="nodeCount"/> node certificates and a client certificate in <paramref name="directory"/>.</summary>
    public static CertificateFolder Create(string directory, int nodeCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var folder = new CertificateFolder(Path.GetFullPath(directory));
        System.IO.Directory.CreateDirectory(folder.Directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = CreateAuthority(caKey);
        Write(folder.CaFile, ca.ExportCertificatePem(), secret: false);
        Write(folder.CaKeyFile, caKey.ExportPkcs8PrivateKeyPem(), secret: true);
        for (var nodeId = 1; nodeId <= nodeCount; nodeId++)
        {
            Issue(ca, folder.NodeCertificateFile(nodeId), folder.NodeKeyFile(nodeId), PeerIdentity.NameOf(nodeId), forServers: true);
        }
        Issue(ca, folder.ClientCertificateFile, folder.ClientKeyFile, "kvraft-client", forServers: false);
        return folder;
    }

    /// <summary>
    /// The certificates in <paramref name="directory"/> when they are there for <paramref name="nodeCount"/> nodes and
    /// valid for at least a day more; otherwise new ones (<see cref="Create"/>).
    /// </summary>
    public static CertificateFolder Ensure(string directory, int nodeCount)
    {
        var folder = new CertificateFolder(Path.GetFullPath(directory));
        string[] certificates = [folder.CaFile, folder.ClientCertificateFile, .. Enumerable.Range(1, nodeCount).Select(folder.NodeCertificateFile)];
        try
        {
            if (certificates.All(file => File.Exists(file) && X509CertificateLoader.LoadCertificateFromFile(file).NotAfter > DateTime.Now.AddDays(1)))
            {
                return folder;
            }
        }
        catch (CryptographicException)
        {
            // Unreadable: made anew below.
        }
        return Create(directory, nodeCount);
    }

    private static X509Certificate2 CreateAuthority(ECDsa key)
    {
        var request = new CertificateRequest("CN=kvraft local CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddHours(-1), now.AddYears(10));
    }

    private static void Issue(X509Certificate2 ca, string certificateFile, string keyFile, string name, bool forServers)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var usages = new OidCollection { new Oid(ClientAuthentication) };
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        if (forServers)
        {
            usages.Add(new Oid(ServerAuthentication));
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var certificate = request.Create(ca, now.AddHours(-1), now.AddDays(LeafValidityDays), serial);
        Write(certificateFile, certificate.ExportCertificatePem(), secret: false);
        Write(keyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
    }

    private static void Write(string path, string pem, bool secret)
    {
        File.Delete(path);
        if (secret && !OperatingSystem.IsWindows())
        {
            // Created 0600 before a byte is written: the key is never readable by others.
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
            using var writer = new StreamWriter(stream);
            writer.Write(pem + "\n");
            return;
        }
        File.WriteAllText(path, pem + "\n");
    }
}
