namespace KvRaft.Transport;

/// <summary>
/// The PEM files of one end of a TLS port: this end's certificate and private key, and the certificate
/// authorities whose certificates the other end must present. Files are read when the transport starts and
/// read again when they change (checked at most once a second, as connections open): a renewed certificate
/// is used for new connections without a restart, and a file that fails to load keeps the previous ones.
/// </summary>
public sealed record TlsFiles
{
    /// <summary>This end's certificate (PEM).</summary>
    public required string CertificateFile { get; init; }

    /// <summary>The private key of <see cref="CertificateFile"/> (PEM, PKCS#8 or the key type's own form; not encrypted).</summary>
    public required string KeyFile { get; init; }

    /// <summary>
    /// One or more CA certificates (PEM) that the other end's certificate must chain to. Required for peer
    /// connections; on the client port, set to require client certificates (null: clients present none).
    /// </summary>
    public string? TrustedCaFile { get; init; }

    /// <summary>Loads every file once; throws <see cref="FormatException"/> naming the file that is missing or invalid.</summary>
    public void Check() => _ = TlsCredentials.Load(this);
}
