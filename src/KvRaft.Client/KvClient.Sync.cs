using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>Blocking counterparts of the async operations: same semantics and exceptions; they block the calling thread.</summary>
public sealed partial class KvClient
{
    /// <summary>Blocking <see cref="GetAsync"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public string? Get(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GetAsync(key, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="GetBytesAsync"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public byte[]? GetBytes(ReadOnlyMemory<byte> key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GetBytesAsync(key, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="PutAsync(string, string, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public void Put(string key, string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PutAsync(key, value, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="PutAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public void Put(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PutAsync(key, value, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="AppendAsync(string, string, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The text to append.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public void Append(string key, string value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AppendAsync(key, value, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="AppendAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The bytes to append.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public void Append(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AppendAsync(key, value, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="DeleteAsync(string, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public bool Delete(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(key, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="DeleteAsync(ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public bool Delete(ReadOnlyMemory<byte> key, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(key, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="CompareAndSetAsync(string, string?, string, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The text the key must hold, or null for "absent".</param>
    /// <param name="newValue">The text to set.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public CasResult CompareAndSet(string key, string? expected, string newValue, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CompareAndSetAsync(key, expected, newValue, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="CompareAndSetAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The value the key must hold, or null for "absent".</param>
    /// <param name="newValue">The value to set.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public CasBytesResult CompareAndSet(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> newValue, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CompareAndSetAsync(key, expected, newValue, timeout, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking <see cref="StatusAsync"/>.</summary>
    /// <param name="endpoint">"host:port" of the server.</param>
    /// <param name="timeout">Deadline of the call; default <see cref="KvClientOptions.OperationTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public NodeStatus Status(string endpoint, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        StatusAsync(endpoint, timeout, cancellationToken).GetAwaiter().GetResult();
}
