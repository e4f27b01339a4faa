// Goal: etcd as a load target: clients spread over several gRPC channels, each balancing round robin over every member.
using dotnet_etcd;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KvRaft.Loadgen;

/// <summary>
/// An etcd cluster driven through dotnet-etcd. Logical client <c>i</c> uses channel <c>i / clientsPerChannel</c>;
/// each channel holds one HTTP/2 connection per member and sends its calls round robin over the members
/// (as etcd's Go client does). The channels have no gRPC retry policy: a retried write could apply twice,
/// so retries are this class's own (<see cref="CallAsync{T}"/>): reads on any Unavailable, writes only when
/// the request was never sent.
/// </summary>
public sealed partial class EtcdTarget : ILoadTarget, IDisposable
{
    /// <summary>Logical clients per gRPC channel when not given (<c>--clients-per-channel</c>).</summary>
    public const int DefaultClientsPerChannel = 32;

    /// <summary>Pause before retrying a call that may be retried.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(10);

    private readonly GrpcChannel[] _channels;
    private readonly EtcdClient[] _clients;
    private readonly int _clientsPerChannel;

    private EtcdTarget(GrpcChannel[] channels, int clientsPerChannel)
    {
        _channels = channels;
        _clients = [.. channels.Select(channel => new EtcdClient(channel.CreateCallInvoker()))];
        _clientsPerChannel = clientsPerChannel;
    }

    /// <summary>Channels for <paramref name="clients"/> logical clients to the members at <paramref name="endpoints"/> (host:port).</summary>
    public static EtcdTarget Connect(IReadOnlyList<string> endpoints, int clients, int clientsPerChannel)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(clientsPerChannel, 1);
        BalancerAddress[] addresses = [.. endpoints.Select(ParseAddress)];
        GrpcChannel[] channels = [.. Enumerable.Range(0, ChannelCount(clients, clientsPerChannel)).Select(_ => Balanced(addresses))];
        return new EtcdTarget(channels, clientsPerChannel);
    }

    /// <summary>How many channels <paramref name="clients"/> logical clients get.</summary>
    public static int ChannelCount(int clients, int clientsPerChannel) => (clients + clientsPerChannel - 1) / clientsPerChannel;

    /// <summary>A client of the member at <paramref name="endpoint"/> alone (for status calls); the caller disposes the channel.</summary>
    public static (GrpcChannel Channel, EtcdClient Client) ConnectOne(string endpoint)
    {
        var channel = GrpcChannel.ForAddress("http://" + endpoint, new GrpcChannelOptions { Credentials = ChannelCredentials.Insecure });
        return (channel, new EtcdClient(channel.CreateCallInvoker()));
    }

    /// <inheritdoc/>
    public bool? Classify(Exception? error) => EtcdOutcome.Classify(error);

    /// <inheritdoc/>
    public string NameOf(Exception error) => EtcdOutcome.NameOf(error);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private EtcdClient For(int client) => _clients[client / _clientsPerChannel % _clients.Length];

    private static GrpcChannel Balanced(BalancerAddress[] addresses)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        return GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
            ServiceProvider = services.BuildServiceProvider(),
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
    }

    private static BalancerAddress ParseAddress(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            throw new FormatException($"'{endpoint}' is not host:port");
        }
        return new BalancerAddress(endpoint[..colon], port);
    }

    /// <summary>Runs <paramref name="call"/> until it answers, retrying what may be retried until <paramref name="deadline"/>.</summary>
    private static async Task<T> CallAsync<T>(Func<DateTime, Task<T>> call, DateTime deadline, bool idempotent)
    {
        while (true)
        {
            try
            {
                return await call(deadline).ConfigureAwait(false);
            }
            catch (RpcException error) when ((idempotent ? EtcdOutcome.MayRetryRead(error) : EtcdOutcome.WasNotSent(error))
                && DateTime.UtcNow + RetryDelay < deadline)
            {
                await Task.Delay(RetryDelay).ConfigureAwait(false);
            }
        }
    }
}
