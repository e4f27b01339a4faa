using KvRaft.Transport;

namespace KvRaft.Server.Hosting;

/// <summary>TLS settings of a server, named like etcd's flags (JSON: the same names in camelCase).</summary>
public sealed partial record ServerOptions
{
    /// <summary>--peer-cert-file: this node's certificate for peer connections (PEM); it must name kvraft-node-ID.</summary>
    public string? PeerCertFile { get; init; }

    /// <summary>--peer-key-file: the private key of <see cref="PeerCertFile"/> (PEM).</summary>
    public string? PeerKeyFile { get; init; }

    /// <summary>--peer-trusted-ca-file: the CA(s) every peer's certificate must chain to (PEM).</summary>
    public string? PeerTrustedCaFile { get; init; }

    /// <summary>--cert-file: the certificate of the client port (PEM).</summary>
    public string? CertFile { get; init; }

    /// <summary>--key-file: the private key of <see cref="CertFile"/> (PEM).</summary>
    public string? KeyFile { get; init; }

    /// <summary>--client-cert-auth: clients must present a certificate that chains to <see cref="TrustedCaFile"/>.</summary>
    public bool ClientCertAuth { get; init; }

    /// <summary>--trusted-ca-file: the CA(s) client certificates must chain to (PEM); only with <see cref="ClientCertAuth"/>.</summary>
    public string? TrustedCaFile { get; init; }

    /// <summary>Mutual TLS of the peer port, or null for plain TCP.</summary>
    internal TlsFiles? PeerTls => PeerCertFile is null ? null : new TlsFiles { CertificateFile = PeerCertFile, KeyFile = PeerKeyFile!, TrustedCaFile = PeerTrustedCaFile };

    /// <summary>TLS of the client port, or null for plain TCP.</summary>
    internal TlsFiles? ClientTls => CertFile is null ? null : new TlsFiles { CertificateFile = CertFile, KeyFile = KeyFile!, TrustedCaFile = ClientCertAuth ? TrustedCaFile : null };

    /// <summary>Checks that the TLS flags come in whole sets and that every file loads; throws <see cref="FormatException"/>.</summary>
    private void ValidateTls()
    {
        if ((PeerCertFile, PeerKeyFile, PeerTrustedCaFile) is not (null, null, null) && (PeerCertFile is null || PeerKeyFile is null || PeerTrustedCaFile is null))
        {
            throw new FormatException("peer TLS needs all of --peer-cert-file, --peer-key-file and --peer-trusted-ca-file");
        }
        if ((CertFile is null) != (KeyFile is null))
        {
            throw new FormatException("client TLS needs both --cert-file and --key-file");
        }
        if (ClientCertAuth && (CertFile is null || TrustedCaFile is null))
        {
            throw new FormatException("--client-cert-auth needs --cert-file, --key-file and --trusted-ca-file");
        }
        if (TrustedCaFile is not null && !ClientCertAuth)
        {
            throw new FormatException("--trusted-ca-file is used only with --client-cert-auth");
        }
        PeerTls?.Check();
        ClientTls?.Check();
    }
}
