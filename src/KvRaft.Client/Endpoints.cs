using System.Globalization;

namespace KvRaft.Client;

/// <summary>"host:port" endpoint strings.</summary>
internal static class Endpoints
{
    /// <summary>Splits "host:port" (the last colon separates the port); throws <see cref="ArgumentException"/> when malformed.</summary>
    public static (string Host, int Port) Parse(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"'{endpoint}' is not host:port", nameof(endpoint));
        }
        var host = endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        return (host, port);
    }

    /// <summary>True when <paramref name="endpoint"/> parses as "host:port".</summary>
    public static bool IsValid(string? endpoint)
    {
        if (endpoint is null)
        {
            return false;
        }
        try
        {
            Parse(endpoint);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Counters for tests and tooling: frames sent and the socket writes that carried them.</summary>
internal sealed class ClientCounters
{
    private long _frames;
    private long _writes;

    public long Frames => Interlocked.Read(ref _frames);

    public long Writes => Interlocked.Read(ref _writes);

    public void CountWrite(int frames)
    {
        Interlocked.Add(ref _frames, frames);
        Interlocked.Increment(ref _writes);
    }
}

/// <summary>Jittered exponential pauses between retries.</summary>
internal static class Backoff
{
    /// <summary>A pause in [d/2, d] where d = min × 2^round, capped at max.</summary>
    public static TimeSpan Delay(int round, TimeSpan min, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Min(round, 20));
        var ticks = Math.Min(max.Ticks, min.Ticks * factor);
        return TimeSpan.FromTicks((long)(ticks * (0.5 + (Random.Shared.NextDouble() / 2))));
    }
}
