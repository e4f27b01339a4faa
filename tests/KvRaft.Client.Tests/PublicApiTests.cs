// Goal: the client's public API keeps the shape the package promises: every call that waits can be cancelled, the client can be disposed asynchronously, and everything public is meant for applications. Method: reflection over the KvRaft.Client assembly (PublicApiAnalyzers and PublicAPI.*.txt freeze the exact list; this checks the rules a new member must follow).
using System.Reflection;

namespace KvRaft.Client.Tests;

public sealed class PublicApiTests
{
    private static readonly Type[] PublicTypes = typeof(KvClient).Assembly.GetExportedTypes();

    [Fact]
    public void Every_public_method_that_returns_a_task_takes_a_cancellation_token()
    {
        var missing = PublicTypes
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => IsAwaitable(method.ReturnType) && method.Name != nameof(IAsyncDisposable.DisposeAsync))
            .Where(method => !method.GetParameters().Any(parameter => parameter.ParameterType == typeof(CancellationToken)))
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_blocking_operation_of_the_client_takes_a_cancellation_token_like_its_async_twin()
    {
        var methods = typeof(KvClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        var blocking = methods.Where(method => !IsAwaitable(method.ReturnType) && method.Name != nameof(IDisposable.Dispose)).ToList();
        Assert.NotEmpty(blocking);
        Assert.All(blocking, method =>
        {
            Assert.Contains(method.GetParameters(), parameter => parameter.ParameterType == typeof(CancellationToken));
            Assert.Contains(methods, twin => twin.Name == method.Name + "Async");
        });
    }

    [Fact]
    public void Client_is_async_disposable()
    {
        Assert.True(typeof(IAsyncDisposable).IsAssignableFrom(typeof(KvClient)));
        Assert.True(typeof(IDisposable).IsAssignableFrom(typeof(KvClient)));
    }

    [Fact]
    public void Public_types_are_the_client_its_options_results_and_errors_only()
    {
        string[] expected =
        [
            nameof(CasBytesResult), nameof(CasResult), nameof(KvClient), nameof(KvClientOptions), nameof(KvClientTls),
            nameof(KvClusterUnavailableException), nameof(KvException), nameof(KvInvalidArgumentException),
            nameof(KvNotAppliedException), nameof(KvOutcome), nameof(KvOutcomeUnknownException), nameof(KvTooLargeException),
        ];
        Assert.Equal(expected, PublicTypes.Select(type => type.Name).Order(StringComparer.Ordinal));
    }

    private static bool IsAwaitable(Type type) =>
        type == typeof(Task) || type == typeof(ValueTask)
        || (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)));
}
