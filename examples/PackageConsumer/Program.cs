// Package consumer: an application that uses KvRaft.Client from its NuGet package, as one outside this repository
// would (docs/client.md, "The package"). It connects to the cluster named by its arguments (or KVRAFT_ENDPOINTS),
// writes and reads one key through every operation, asks the first node for its status, and prints each step.
// Ctrl-C cancels the call in progress. Exit codes: 0 done, 1 a call failed, 2 no endpoints, 130 cancelled.
using System.Reflection;
using System.Text;
using KvRaft.Client;
using KvRaft.Protocol;

string[] endpoints = args.Length > 0
    ? args
    : (Environment.GetEnvironmentVariable("KVRAFT_ENDPOINTS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (endpoints.Length == 0)
{
    Console.Error.WriteLine("usage: PackageConsumer HOST:PORT [HOST:PORT ...]   (or KVRAFT_ENDPOINTS=HOST:PORT,...)");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, press) =>
{
    press.Cancel = true;
    stop.Cancel();
};
CancellationToken cancel = stop.Token;

string? version = typeof(KvClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
Console.WriteLine($"KvRaft.Client {version}");
try
{
    // One client for the whole application: thread-safe, it finds the leader and keeps its connections.
    var options = new KvClientOptions { OperationTimeout = TimeSpan.FromSeconds(10) };
    await using KvClient client = await KvClient.ConnectAsync(endpoints, options, cancel);

    const string key = "example:greeting";
    await client.PutAsync(key, "hello", cancellationToken: cancel);
    Console.WriteLine($"put {key} = hello");
    await client.AppendAsync(key, ", world", cancellationToken: cancel);
    Console.WriteLine($"append {key} += , world");
    Console.WriteLine($"get {key} -> {await client.GetAsync(key, cancellationToken: cancel)}");

    CasResult stale = await client.CompareAndSetAsync(key, "hello", "bye", cancellationToken: cancel);
    Console.WriteLine($"cas {key} hello -> bye: swapped {stale.Swapped}, value {stale.Current}");
    CasResult swapped = await client.CompareAndSetAsync(key, "hello, world", "bye", cancellationToken: cancel);
    Console.WriteLine($"cas {key} hello, world -> bye: swapped {swapped.Swapped}, value {swapped.Current}");

    // Keys and values are bytes underneath; the string overloads use UTF-8.
    byte[] bytesKey = Encoding.UTF8.GetBytes("example:bytes");
    await client.PutAsync(bytesKey, new byte[] { 1, 2, 3 }, timeout: TimeSpan.FromSeconds(5), cancellationToken: cancel);
    byte[]? bytes = await client.GetBytesAsync(bytesKey, cancellationToken: cancel);
    Console.WriteLine($"get example:bytes -> {Convert.ToHexString(bytes ?? [])}");

    Console.WriteLine($"delete {key} -> {await client.DeleteAsync(key, cancellationToken: cancel)}");
    Console.WriteLine($"delete {key} -> {await client.DeleteAsync(key, cancellationToken: cancel)}");
    Console.WriteLine($"get {key} -> {await client.GetAsync(key, cancellationToken: cancel) ?? "(absent)"}");

    NodeStatus status = await client.StatusAsync(endpoints[0], cancellationToken: cancel);
    Console.WriteLine($"status {endpoints[0]}: node {status.NodeId}, {status.Role}, term {status.Term}, applied {status.AppliedIndex}");
    Console.WriteLine("Done.");
    return 0;
}
catch (KvNotAppliedException error)
{
    Console.Error.WriteLine($"not applied (safe to retry): {error.Message}");
    return 1;
}
catch (KvOutcomeUnknownException error)
{
    Console.Error.WriteLine($"outcome unknown (it may have been applied): {error.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
