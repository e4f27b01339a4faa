using System;
using System.Globalization;

namespace KvRaft.Protocol;

/// <summary>The one check of a "host:port" address that came from outside (a flag, a log entry, the wire).</summary>
public static class HostPort
{
    /// <summary>Longest address ("host:port", a DNS name has at most 253 characters).</summary>
    public const int CharsMax = 261;

    /// <summary>
    /// Whether <paramref name="address"/> is a plain "host:port": printable ASCII without spaces, at most
    /// <see cref="CharsMax"/> characters, a host before the last colon and a port 1..65535 after it.
    /// </summary>
    public static bool IsValid(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.Length > CharsMax)
        {
            return false;
        }

        foreach (var c in address)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535;
    }
}
