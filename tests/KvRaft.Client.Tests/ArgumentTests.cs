// Goal: invalid arguments are refused as "not applied" and, when the client can tell, before anything is sent. Method: a fake that records every connection and request.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class ArgumentTests
{
    [Fact]
    public async Task Oversized_key_throws_invalid_argument_without_connecting_or_sending()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var key = new string('k', ProtocolLimits.KeyBytesMax + 1);
        var error = await Bounded.Throws<KvInvalidArgumentException>(() => client.PutAsync(key, "v"));
        await Bounded.Throws<KvInvalidArgumentException>(() => client.GetAsync(key));
        Assert.False(KvOutcome.Classify(error));
        Assert.Equal(0, server.ConnectionCount);
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task Empty_key_and_oversized_values_throw_invalid_argument_without_sending()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var big = new byte[ProtocolLimits.ValueBytesMax + 1];
        await Bounded.Throws<KvInvalidArgumentException>(() => client.PutAsync("", "v"));
        await Bounded.Throws<KvInvalidArgumentException>(() => client.PutAsync(new byte[] { 1 }, big));
        await Bounded.Throws<KvInvalidArgumentException>(() => client.CompareAndSetAsync(new byte[] { 1 }, big, new byte[] { 2 }));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task A_value_one_byte_over_the_limit_throws_too_large_naming_the_limit_without_sending()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvTooLargeException>(() => client.PutAsync(new byte[] { 1 }, new byte[ProtocolLimits.ValueBytesMax + 1]));
        Assert.Contains(ProtocolLimits.ValueBytesMax.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        await Bounded.Throws<KvTooLargeException>(() => client.PutAsync(new byte[ProtocolLimits.KeyBytesMax + 1], new byte[] { 1 }));
        Assert.False(KvOutcome.Classify(error));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task Server_too_large_answer_throws_too_large_classified_not_applied_and_is_not_retried()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Append ? FakeReply.With(ClientStatus.TooLarge) : null };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvTooLargeException>(() => client.AppendAsync("k", "v"));
        Assert.False(KvOutcome.Classify(error));
        Assert.Single(server.SeenOps(ClientOp.Append));
    }

    [Fact]
    public async Task Largest_key_and_value_are_accepted()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var key = new byte[ProtocolLimits.KeyBytesMax];
        key.AsSpan().Fill(1);
        var value = new byte[ProtocolLimits.ValueBytesMax];
        await Bounded.Wait(client.PutAsync(key, value));
        Assert.Equal(value.Length, (await Bounded.Wait(client.GetBytesAsync(key)))!.Length);
    }

    [Fact]
    public async Task Server_invalid_argument_answer_throws_invalid_argument_classified_not_applied()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Put ? FakeReply.With(ClientStatus.InvalidArgument) : null };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvInvalidArgumentException>(() => client.PutAsync("k", "v"));
        Assert.False(KvOutcome.Classify(error));
    }
}
