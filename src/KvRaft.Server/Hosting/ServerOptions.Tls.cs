using KvRaft.Client;
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

    /// <summary>
    /// The TLS of --join's connection to the cluster's client ports: none when this node's client port has none (a
    /// cluster's nodes share one setup), else it verifies the cluster's servers against --trusted-ca-file and presents
    /// this node's --cert-file (which must then allow client use, as etcd's member certificates do) to ports with
    /// --client-cert-auth.
    /// </summary>
    internal KvClientTls? JoinTls() => Join is null || CertFile is null ? null : KvClientTls.FromPemFiles(TrustedCaFile!, CertFile, KeyFile);

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
        if (TrustedCaFile is not null && !ClientCertAuth && Join is null)
        {
            throw new FormatException("--trusted-ca-file is used only with --client-cert-auth (or --join)");
        }
        PeerTls?.Check();
        ClientTls?.Check();
        ValidateJoinTls();
    }

    /// <summary>A joining node with client TLS needs the CA to verify the cluster with; every file loads.</summary>
    private void ValidateJoinTls()
    {
        if (Join is null || CertFile is null)
        {
            return;
        }
        if (TrustedCaFile is null)
        {
            throw new FormatException("--join with client TLS (--cert-file) needs --trusted-ca-file: the CA this node verifies the cluster's client ports with");
        }
        try
        {
            _ = JoinTls();
        }
        catch (ArgumentException error)
        {
            throw new FormatException("--join over TLS: " + error.Message, error);
        }
    }
}
