// Goal: sort the endings of etcd calls into the history format's ok / not applied / unknown, as KvOutcome does for KvRaft.
using System.Net.Sockets;
using Grpc.Core;

namespace KvRaft.Loadgen;

/// <summary>An etcd append lost the race for its key until its deadline: no attempt was applied.</summary>
public sealed class EtcdConflictException(string message) : Exception(message);

/// <summary>Maps the end of an etcd call to the <c>ok</c> field of the history format.</summary>
public static class EtcdOutcome
{
    private const int DetailLength = 48;

    /// <summary>
    /// <c>true</c> without an error; <c>false</c> when the request certainly had no effect (an append that
    /// only lost races, an etcd refusal before proposing, or a call never sent because no member accepted a
    /// connection); <c>null</c> otherwise: deadline passed, connection lost, "request timed out", "leader
    /// changed" — the write may still commit.
    /// </summary>
    public static bool? Classify(Exception? error) => error switch
    {
        null => true,
        EtcdConflictException => false,
        RpcException rpc when IsRefused(rpc) || WasNotSent(rpc) => false,
        _ => null,
    };

    /// <summary>
    /// Status codes etcd answers before a request is proposed (bad argument, compacted revision,
    /// permission, unimplemented) or that it applies as a no-op ("too many requests", "database space
    /// exceeded", both ResourceExhausted with an etcd message).
    /// </summary>
    public static bool IsRefused(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.NotFound
                or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented => true,
            StatusCode.ResourceExhausted => error.Status.Detail.StartsWith("etcdserver: ", StringComparison.Ordinal)
                || error.Status.Detail.StartsWith("mvcc: ", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Unavailable because no connection could be made (refused): nothing reached a member.</summary>
    public static bool WasNotSent(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (var cause = error.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            if (cause is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The type, and for gRPC errors the status code and the start of the message.</summary>
    public static string NameOf(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is not RpcException rpc)
        {
            return error.GetType().Name;
        }

        var detail = rpc.Status.Detail.Length <= DetailLength ? rpc.Status.Detail : rpc.Status.Detail[..DetailLength] + "…";
        return $"{rpc.StatusCode}: {detail.Replace('|', '/')}";
    }

    /// <summary>A read may be sent again on any Unavailable (member down, leader changed, read timed out).</summary>
    public static bool MayRetryRead(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.StatusCode == StatusCode.Unavailable;
    }
}
