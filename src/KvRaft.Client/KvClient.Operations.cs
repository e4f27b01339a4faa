using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Client;

public sealed partial class KvClient
{
    /// <summary>Reads <paramref name="key"/> linearizably; null when absent.</summary>
    /// <param name="key">The key: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvInvalidArgumentException">The key is empty or too long.</exception>
    /// <exception cref="KvClusterUnavailableException">No server that knows a leader could be reached in time.</exception>
    /// <exception cref="KvOutcomeUnknownException">The deadline passed after the read was sent.</exception>
    public async Task<byte[]?> GetBytesAsync(ReadOnlyMemory<byte> key, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new ClientRequest { Op = ClientOp.Get, Key = Arguments.Key(key) };
        var response = await KeyReadAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return response.Status == ClientStatus.NotFound ? null : response.Value.ToArray();
    }

    /// <summary>Reads <paramref name="key"/> linearizably as UTF-8 text; null when absent.</summary>
    /// <param name="key">The key (its UTF-8 form: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes).</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<string?> GetAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        // Not through GetBytesAsync: one state machine and no byte array between the answer and the text.
        var request = new ClientRequest { Op = ClientOp.Get, Key = Arguments.Key(Arguments.Utf8(key, nameof(key))) };
        var response = await KeyReadAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return response.Status == ClientStatus.NotFound ? null : Encoding.UTF8.GetString(response.Value.Span);
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, exactly once.</summary>
    /// <param name="key">The key: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes.</param>
    /// <param name="value">The value: at most <see cref="ProtocolLimits.ValueBytesMax"/> bytes. Not to be changed during the call.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvNotAppliedException">Definitely not applied (invalid argument, no server reachable, nothing sent).</exception>
    /// <exception cref="KvOutcomeUnknownException">May have been applied, or may still be.</exception>
    public Task PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WriteKeyAsync(ClientOp.Put, key, value, null, timeout, cancellationToken).AsTask();

    /// <summary>Sets <paramref name="key"/> to the UTF-8 text <paramref name="value"/>, exactly once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task PutAsync(string key, string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WriteTextAsync(ClientOp.Put, key, value, timeout, cancellationToken);

    /// <summary>Appends <paramref name="value"/> to the value of <paramref name="key"/> (creating it when absent), exactly once.</summary>
    /// <param name="key">The key: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes.</param>
    /// <param name="value">The bytes to append: at most <see cref="ProtocolLimits.ValueBytesMax"/>. Not to be changed during the call.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task AppendAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WriteKeyAsync(ClientOp.Append, key, value, null, timeout, cancellationToken).AsTask();

    /// <summary>Appends the UTF-8 text <paramref name="value"/> to the value of <paramref name="key"/>, exactly once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The text to append.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task AppendAsync(string key, string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WriteTextAsync(ClientOp.Append, key, value, timeout, cancellationToken);

    /// <summary>Removes <paramref name="key"/>, exactly once; true when it existed.</summary>
    /// <param name="key">The key: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<bool> DeleteAsync(ReadOnlyMemory<byte> key, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new ClientRequest { Op = ClientOp.Delete, Key = Arguments.Key(key) };
        var response = await WriteAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return response.Status == ClientStatus.Ok;
    }

    /// <summary>Removes <paramref name="key"/>, exactly once; true when it existed.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<bool> DeleteAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(Arguments.Utf8(key, nameof(key)), timeout, cancellationToken);

    /// <summary>Sets <paramref name="key"/> to <paramref name="newValue"/> only if it holds <paramref name="expected"/> (null: only if absent), exactly once.</summary>
    /// <param name="key">The key: 1 to <see cref="ProtocolLimits.KeyBytesMax"/> bytes.</param>
    /// <param name="expected">The value the key must hold, or null (no value: not a null array, which converts to empty) for "the key must be absent".</param>
    /// <param name="newValue">The value to set.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<CasBytesResult> CompareAndSetAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> newValue, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new ClientRequest
        {
            Op = ClientOp.CompareAndSet,
            Key = Arguments.Key(key),
            ExpectAbsent = expected is null,
            Expected = expected is { } value ? Arguments.Value(value, "expected value") : default,
            Value = Arguments.Value(newValue, "new value"),
        };
        var response = await WriteAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return new CasBytesResult(response.Swapped, response.ValuePresent ? response.Value.ToArray() : null);
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="newValue"/> only if it holds <paramref name="expected"/> (null: only if absent), exactly once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The text the key must hold, or null for "the key must be absent".</param>
    /// <param name="newValue">The text to set.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<CasResult> CompareAndSetAsync(string key, string? expected, string newValue, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        // Spelled out: "cond ? null : byte[]" would convert a null array into an empty (non-null) memory.
        ReadOnlyMemory<byte>? expectedBytes = null;
        if (expected is not null)
        {
            expectedBytes = Arguments.Utf8(expected, nameof(expected));
        }
        var result = await CompareAndSetAsync(Arguments.Utf8(key, nameof(key)), expectedBytes, Arguments.Utf8(newValue, nameof(newValue)), timeout, cancellationToken).ConfigureAwait(false);
        return new CasResult(result.Swapped, Arguments.Text(result.Current));
    }

    /// <summary>Asks the server at <paramref name="endpoint"/> (any server, leader or not) for its Raft state.</summary>
    /// <param name="endpoint">"host:port" of the server.</param>
    /// <param name="timeout">Deadline of the call, retries included; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KvClusterUnavailableException">The server could not be reached in time.</exception>
    public async Task<NodeStatus> StatusAsync(string endpoint, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Endpoints.Parse(endpoint);
        var response = await ReadAsync(new ClientRequest { Op = ClientOp.Status }, timeout, cancellationToken, endpoint).ConfigureAwait(false);
        return response.Node;
    }
}
