using System.Collections.Concurrent;
using DotNetty.Transport.Channels;

namespace KvRaft.Transport;

/// <summary>The open connections of a listener or transport, so that disposing closes each of them and waits.</summary>
internal sealed class ChannelSet
{
    private readonly ConcurrentDictionary<IChannel, byte> _channels = new();

    public void Add(IChannel channel) => _channels.TryAdd(channel, 0);

    public void Remove(IChannel channel) => _channels.TryRemove(channel, out _);

    public Task CloseAllAsync() => Task.WhenAll(_channels.Keys.Select(channel => channel.CloseAsync()));
}
