using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvRaft.Client;

/// <summary>
/// TLS for a <see cref="KvClient"/>'s connections: the authorities a server's certificate must chain to (system roots
/// are not used), and the client certificate to present when the servers require one (--client-cert-auth). The
/// server's certificate must also name the host the client dialled (DNS name or IP address alternative name).
/// </summary>
public sealed record KvClientTls
{
    /// <summary>The CA certificates a server's certificate must chain to.</summary>
    public required X509Certificate2Collection TrustedCa { get; init; }

    /// <summary>The client certificate, with its private key; null: none presented.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// Loads PEM files: <paramref name="caFile"/> (one or more CA certificates) and, optionally, a client certificate
    /// and its key (etcdctl's --cacert, --cert, --key). Throws <see cref="ArgumentException"/> naming a file that fails.
    /// </summary>
    public static KvClientTls FromPemFiles(string caFile, string? certificateFile = null, string? keyFile = null)
    {
        ArgumentNullException.ThrowIfNull(caFile);
        if ((certificateFile is null) != (keyFile is null))
        {
            throw new ArgumentException("a client certificate needs both its certificate file and its key file");
        }
        var trusted = new X509Certificate2Collection();
        try
        {
            trusted.ImportFromPemFile(caFile);
            if (trusted.Count == 0)
            {
                throw new ArgumentException($"{caFile} holds no certificate");
            }
            if (certificateFile is null)
            {
                return new KvClientTls { TrustedCa = trusted };
            }
            using var fromPem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            // A key read from PEM is ephemeral; some platforms' TLS needs it in a key container: a PKCS#12 round trip gives one.
            var certificate = X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), password: null);
            return new KvClientTls { TrustedCa = trusted, ClientCertificate = certificate };
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"cannot load TLS files ({caFile}{(certificateFile is null ? "" : ", " + certificateFile + ", " + keyFile)}): {error.Message}", error);
        }
    }

    /// <summary>The handshake options for a connection to <paramref name="host"/>.</summary>
    internal SslClientAuthenticationOptions AuthenticationOptions(string host)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(TrustedCa);
        var certificate = ClientCertificate;
        return new SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateChainPolicy = policy,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificates = certificate is null ? null : [certificate],
            LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
        };
    }
}
