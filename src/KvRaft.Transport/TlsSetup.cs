using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DotNetty.Common.Utilities;
using DotNetty.Handlers.Tls;
using DotNetty.Transport.Channels;

namespace KvRaft.Transport;

/// <summary>
/// Makes the TLS handler (DotNetty's <see cref="TlsHandler"/> over <see cref="SslStream"/>) that goes first in a
/// channel's pipeline when its port has TLS on, and records on the channel what the handshake learned of the
/// other end (<see cref="TlsPeer"/>). The other end's certificate must chain to the trusted authorities (no
/// system roots, no revocation check) and be meant for its role (the serverAuth or clientAuth extended key usage).
/// </summary>
internal static class TlsSetup
{
    /// <summary>TLS 1.2 and 1.3 only.</summary>
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private static readonly AttributeKey<TlsPeer> PeerKey = AttributeKey<TlsPeer>.ValueOf("kvraft.tls.peer");
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// The accepting end: presents <paramref name="certificates"/>; when they carry trusted authorities, requires a
    /// client certificate that chains to them (peers: always; clients: with --client-cert-auth).
    /// </summary>
    public static IChannelHandler Server(IChannel channel, TlsCertificates certificates)
    {
        var peer = Attach(channel);
        var trusted = certificates.TrustedCa;
        var settings = new ServerTlsSettings(certificates.Certificate, negotiateClientCertificate: trusted is not null, checkCertificateRevocation: false, Protocols);
        RemoteCertificateValidationCallback? validate = trusted is null
            ? null
            : (_, certificate, chain, _) => peer.Verify(certificate, chain, trusted, ClientAuthentication, expectedNodeId: null);
        return new TlsHandler(stream => new SslStream(stream, leaveInnerStreamOpen: true, validate), settings);
    }

    /// <summary>The dialling end of a peer connection: presents this node's certificate, and requires node <paramref name="expectedNodeId"/>'s.</summary>
    public static IChannelHandler Client(IChannel channel, TlsCertificates certificates, int expectedNodeId)
    {
        var peer = Attach(channel);
        var trusted = certificates.TrustedCa ?? throw new InvalidOperationException("peer TLS without trusted authorities");
        var own = certificates.Certificate;
        var settings = new ClientTlsSettings(Protocols, checkCertificateRevocation: false, [own], PeerIdentity.NameOf(expectedNodeId));
        return new TlsHandler(stream => new SslStream(stream, leaveInnerStreamOpen: true,
            (_, certificate, chain, _) => peer.Verify(certificate, chain, trusted, ServerAuthentication, expectedNodeId),
            (_, _, _, _, _) => own), settings);
    }

    /// <summary>What the handshake learned of the other end, or null when the channel has no TLS.</summary>
    public static TlsPeer? PeerOf(IChannel channel) => channel.GetAttribute(PeerKey).Get();

    private static TlsPeer Attach(IChannel channel)
    {
        var peer = new TlsPeer();
        channel.GetAttribute(PeerKey).Set(peer);
        return peer;
    }
}

/// <summary>The other end of one TLS connection, as its handshake found it.</summary>
internal sealed class TlsPeer
{
    private IReadOnlyList<string>? _names;
    private string? _refusal;

    /// <summary>The names its certificate carries (common name, DNS alternative names); null until a certificate was verified.</summary>
    public IReadOnlyList<string>? Names => Volatile.Read(ref _names);

    /// <summary>Why its certificate was refused, or null.</summary>
    public string? Refusal => Volatile.Read(ref _refusal);

    /// <summary>
    /// The handshake's certificate check: <paramref name="presented"/> chains to <paramref name="trusted"/>, allows
    /// <paramref name="purpose"/>, and (when <paramref name="expectedNodeId"/> is set) names that node.
    /// </summary>
    public bool Verify(X509Certificate? presented, X509Chain? presentedChain, X509Certificate2Collection trusted, Oid purpose, int? expectedNodeId)
    {
        if (presented is not X509Certificate2 certificate)
        {
            return Refuse("no certificate presented");
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(purpose);
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        if (!chain.Build(certificate))
        {
            var problems = string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()));
            return Refuse($"certificate '{certificate.Subject}' not trusted: {problems}");
        }
        var names = PeerIdentity.NamesOf(certificate);
        if (expectedNodeId is { } nodeId && !PeerIdentity.Names(names, nodeId))
        {
            return Refuse($"certificate '{certificate.Subject}' does not name node {nodeId} ({PeerIdentity.NameOf(nodeId)}); it names {string.Join(", ", names)}");
        }
        Volatile.Write(ref _names, names);
        return true;
    }

    private bool Refuse(string reason)
    {
        Volatile.Write(ref _refusal, reason);
        return false;
    }
}
