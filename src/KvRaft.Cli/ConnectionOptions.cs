using System.CommandLine;
using KvRaft.Client;

namespace KvRaft.Cli;

/// <summary>The options every client command shares: --endpoints (or KVRAFT_ENDPOINTS), --timeout, and TLS: --cacert, --cert, --key.</summary>
internal sealed class ConnectionOptions
{
    public const string EnvironmentVariable = "KVRAFT_ENDPOINTS";
    public const string CaEnvironmentVariable = "KVRAFT_CACERT";
    public const string CertificateEnvironmentVariable = "KVRAFT_CERT";
    public const string KeyEnvironmentVariable = "KVRAFT_KEY";

    public Option<string?> CaCertificate { get; } = new("--cacert")
    {
        Description = $"TLS: verify the servers' certificates with this CA (PEM); TLS is on when set (default: ${CaEnvironmentVariable})",
        Recursive = true,
    };

    public Option<string?> Certificate { get; } = new("--cert")
    {
        Description = $"TLS: the client certificate to present (PEM; default: ${CertificateEnvironmentVariable})",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = $"TLS: the private key of --cert (PEM; default: ${KeyEnvironmentVariable})",
        Recursive = true,
    };

    public Option<string?> Endpoints { get; } = new("--endpoints")
    {
        Description = $"Client addresses of the nodes, host:port,host:port,... (default: ${EnvironmentVariable})",
        Recursive = true,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Deadline of each call in seconds, retries included",
        DefaultValueFactory = _ => 10,
        Recursive = true,
    };

    /// <summary>The endpoints from the option or the environment; throws <see cref="UsageException"/> when there are none.</summary>
    public IReadOnlyList<string> EndpointList(ParseResult parse)
    {
        var text = parse.GetValue(Endpoints) ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        var list = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0)
        {
            throw new UsageException($"no endpoints: pass --endpoints host:port,... or set {EnvironmentVariable}");
        }

        return list;
    }

    /// <summary>The per-call deadline.</summary>
    public TimeSpan CallTimeout(ParseResult parse)
    {
        var seconds = parse.GetValue(Timeout);
        if (seconds <= 0 || double.IsNaN(seconds))
        {
            throw new UsageException("--timeout must be a positive number of seconds");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>TLS options from --cacert, --cert, --key (or their environment variables); null without a CA.</summary>
    public KvClientTls? Tls(ParseResult parse)
    {
        var ca = parse.GetValue(CaCertificate) ?? Environment.GetEnvironmentVariable(CaEnvironmentVariable);
        var certificate = parse.GetValue(Certificate) ?? Environment.GetEnvironmentVariable(CertificateEnvironmentVariable);
        var key = parse.GetValue(Key) ?? Environment.GetEnvironmentVariable(KeyEnvironmentVariable);
        if (ca is null)
        {
            return certificate is null && key is null ? null : throw new UsageException("--cert and --key need --cacert (TLS)");
        }
        try
        {
            return KvClientTls.FromPemFiles(ca, certificate, key);
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message);
        }
    }

    /// <summary>A client of the endpoints; an endpoint that is not host:port is a usage error.</summary>
    public KvClient Connect(ParseResult parse)
    {
        var endpoints = EndpointList(parse);
        try
        {
            return KvClient.Connect(endpoints, new KvClientOptions { OperationTimeout = CallTimeout(parse), ConnectTimeout = TimeSpan.FromSeconds(1), Tls = Tls(parse) });
        }
        catch (ArgumentException error)
        {
            throw new UsageException("bad --endpoints: " + error.Message);
        }
    }
}

/// <summary>A usage error found after parsing (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
