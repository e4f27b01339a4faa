using System.CommandLine;

namespace KvRaft.Server.Hosting;

/// <summary>The server's TLS flags (etcd's names) and how they fill <see cref="ServerOptions"/>.</summary>
internal sealed class ServerTlsFlags
{
    public Option<string?> PeerCertFile { get; } = new("--peer-cert-file") { Description = "Peer TLS: this node's certificate (PEM); it must name kvraft-node-ID" };
    public Option<string?> PeerKeyFile { get; } = new("--peer-key-file") { Description = "Peer TLS: the private key of --peer-cert-file (PEM)" };
    public Option<string?> PeerTrustedCaFile { get; } = new("--peer-trusted-ca-file") { Description = "Peer TLS: the CA every peer's certificate must chain to (PEM)" };
    public Option<string?> CertFile { get; } = new("--cert-file") { Description = "Client TLS: the client port's certificate (PEM)" };
    public Option<string?> KeyFile { get; } = new("--key-file") { Description = "Client TLS: the private key of --cert-file (PEM)" };
    public Option<bool> ClientCertAuth { get; } = new("--client-cert-auth") { Description = "Clients must present a certificate from --trusted-ca-file" };
    public Option<string?> TrustedCaFile { get; } = new("--trusted-ca-file") { Description = "The CA client certificates must chain to (PEM; with --client-cert-auth)" };

    public IEnumerable<Option> All => [PeerCertFile, PeerKeyFile, PeerTrustedCaFile, CertFile, KeyFile, ClientCertAuth, TrustedCaFile];

    public ServerOptions Apply(ServerOptions options, ParseResult parse) => options with
    {
        PeerCertFile = parse.GetValue(PeerCertFile),
        PeerKeyFile = parse.GetValue(PeerKeyFile),
        PeerTrustedCaFile = parse.GetValue(PeerTrustedCaFile),
        CertFile = parse.GetValue(CertFile),
        KeyFile = parse.GetValue(KeyFile),
        ClientCertAuth = parse.GetValue(ClientCertAuth),
        TrustedCaFile = parse.GetValue(TrustedCaFile),
    };
}
