// Goal: what the load runs against, so that KvRaft and etcd are driven by one harness with the same outcome classes.
using System.Text;
using KvRaft.Client;

namespace KvRaft.Loadgen;

/// <summary>The store a run drives (<c>--target</c>).</summary>
public enum LoadTargetKind
{
    /// <summary>A KvRaft cluster through <see cref="KvClient"/>.</summary>
    KvRaft,

    /// <summary>An etcd cluster through the dotnet-etcd client.</summary>
    Etcd,
}

/// <summary>
/// The operations of the workload on one store. Every method throws on failure;
/// <see cref="Classify"/> turns the ending into the history format's <c>ok</c> (true, false, null).
/// </summary>
public interface ILoadTarget
{
    /// <summary>Reads a key (linearizable); null when absent.</summary>
    Task<string?> GetAsync(int client, string key, TimeSpan timeout);

    /// <summary>Sets a key.</summary>
    Task PutAsync(int client, string key, string value, TimeSpan timeout);

    /// <summary>Appends to a key's value (creating it when absent).</summary>
    Task AppendAsync(int client, string key, string value, TimeSpan timeout);

    /// <summary>
    /// Sets a key to a value given as UTF-8 bytes, when the run keeps no text of it (no history, no Cas): no string per
    /// write. The bytes are not read after the task ends. By default, as text.
    /// </summary>
    Task PutAsync(int client, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeout) =>
        PutAsync(client, Encoding.UTF8.GetString(key.Span), Encoding.UTF8.GetString(value.Span), timeout);

    /// <summary>Appends a value given as UTF-8 bytes, as <see cref="PutAsync(int, ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TimeSpan)"/>. By default, as text.</summary>
    Task AppendAsync(int client, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeout) =>
        AppendAsync(client, Encoding.UTF8.GetString(key.Span), Encoding.UTF8.GetString(value.Span), timeout);

    /// <summary>Removes a key.</summary>
    Task DeleteAsync(int client, string key, TimeSpan timeout);

    /// <summary>Sets a key to <paramref name="value"/> only if it holds <paramref name="expected"/> (null = absent).</summary>
    Task<CasResult> CompareAndSetAsync(int client, string key, string? expected, string value, TimeSpan timeout);

    /// <summary>true: completed; false: certainly not applied; null: unknown (it may still take effect).</summary>
    bool? Classify(Exception? error);

    /// <summary>A short name of the error for the error table (its type, or more where the type says little).</summary>
    string NameOf(Exception error);
}

/// <summary>KvRaft through a shared <see cref="KvClient"/> (not owned: the caller disposes it).</summary>
public sealed class KvRaftTarget(KvClient kvClient) : ILoadTarget
{
    /// <inheritdoc/>
    public Task<string?> GetAsync(int client, string key, TimeSpan timeout) => kvClient.GetAsync(key, timeout);

    /// <inheritdoc/>
    public Task PutAsync(int client, string key, string value, TimeSpan timeout) => kvClient.PutAsync(key, value, timeout);

    /// <inheritdoc/>
    public Task AppendAsync(int client, string key, string value, TimeSpan timeout) => kvClient.AppendAsync(key, value, timeout);

    /// <inheritdoc/>
    public Task PutAsync(int client, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeout) => kvClient.PutAsync(key, value, timeout);

    /// <inheritdoc/>
    public Task AppendAsync(int client, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeout) => kvClient.AppendAsync(key, value, timeout);

    /// <inheritdoc/>
    public Task DeleteAsync(int client, string key, TimeSpan timeout) => kvClient.DeleteAsync(key, timeout);

    /// <inheritdoc/>
    public Task<CasResult> CompareAndSetAsync(int client, string key, string? expected, string value, TimeSpan timeout) =>
        kvClient.CompareAndSetAsync(key, expected, value, timeout);

    /// <inheritdoc/>
    public bool? Classify(Exception? error) => KvOutcome.Classify(error);

    /// <inheritdoc/>
    public string NameOf(Exception error) => error.GetType().Name;
}
