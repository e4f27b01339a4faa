using System.Security.Cryptography.X509Certificates;

namespace KvRaft.Transport;

/// <summary>
/// How a node's certificate names the node: its subject common name or one of its DNS subject alternative
/// names is "kvraft-node-ID". A peer is accepted only with a certificate that names the node id it claims
/// (accepted connections) or the one this node dialled (dialled connections).
/// </summary>
public static class PeerIdentity
{
    /// <summary>The name a certificate of node <paramref name="nodeId"/> carries.</summary>
    public static string NameOf(int nodeId) => "kvraft-node-" + nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The subject common name and every DNS subject alternative name of <paramref name="certificate"/>.</summary>
    public static IReadOnlyList<string> NamesOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        var commonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.IsNullOrEmpty(commonName))
        {
            names.Add(commonName);
        }
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension alternative)
            {
                names.AddRange(alternative.EnumerateDnsNames());
            }
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>True when <paramref name="names"/> (from <see cref="NamesOf"/>) name node <paramref name="nodeId"/>.</summary>
    public static bool Names(IReadOnlyList<string> names, int nodeId)
    {
        ArgumentNullException.ThrowIfNull(names);
        var expected = NameOf(nodeId);
        return names.Any(name => string.Equals(name, expected, StringComparison.OrdinalIgnoreCase));
    }
}
