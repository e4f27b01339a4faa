using KvRaft.Protocol;
using KvRaft.Storage;
using ProtocolKvCommand = KvRaft.Protocol.KvCommand;
using StorageKvCommand = KvRaft.Storage.KvCommand;

namespace KvRaft.Server.Node;

/// <summary>Maps log commands to state machine commands, and state machine results to client responses.</summary>
public static class CommandMapper
{
    /// <summary>
    /// Positions per entry of the legacy session ids: a RegisterSession logged with client id 0 (by nodes before
    /// session ids were random) opens session (entry index × this) + its position in the batch, as it did then, so
    /// old logs replay the same. Leaders now always log a random non-zero id (see KvNode.Sessions.cs).
    /// </summary>
    public const long LegacySessionIdsPerEntry = 1 << 12;

    /// <summary>The message of a write the state machine refused as too large.</summary>
    public static readonly string ValueTooLarge =
        $"the value would exceed ValueBytesMax ({ProtocolLimits.ValueBytesMax} bytes) after this write: not applied";

    /// <summary>The message of a write under another identity's session.</summary>
    public const string SessionNotOwnedMessage = "session registered by another client identity (certificate): not applied; register a session of your own";

    /// <summary>The message of a registration over the identity's session quota.</summary>
    public const string TooManySessionsMessage = "this client identity holds its quota of live sessions (StorageLimits.SessionsPerIdentityMax): not registered; reuse your sessions";

    /// <summary>The state machine form of a command stored at (<paramref name="index"/>, <paramref name="position"/>).</summary>
    public static StorageKvCommand ToStorage(in ProtocolKvCommand command, long index, int position)
    {
        long clientId = (long)command.ClientId, sequence = (long)command.Sequence, identity = (long)command.Identity;
        return command.Op switch
        {
            ClientOp.RegisterSession => new StorageKvCommand(KvOp.RegisterSession, default,
                ClientId: command.ClientId != 0 ? clientId : (index * LegacySessionIdsPerEntry) + position, Identity: identity),
            ClientOp.Put => new StorageKvCommand(KvOp.Put, command.Key, command.Value, null, clientId, sequence, identity),
            ClientOp.Append => new StorageKvCommand(KvOp.Append, command.Key, command.Value, null, clientId, sequence, identity),
            ClientOp.Delete => new StorageKvCommand(KvOp.Delete, command.Key, default, null, clientId, sequence, identity),
            ClientOp.CompareAndSet => new StorageKvCommand(KvOp.CompareAndSet, command.Key, command.Value,
                command.ExpectAbsent ? (ReadOnlyMemory<byte>?)null : command.Expected, clientId, sequence, identity),
            ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove => new StorageKvCommand(ControllerOp(command.Op),
                Sharding.ReplicatedShardController.Arguments(command.GroupId, command.Shard), default, null, clientId, sequence, identity),
            _ => throw new InvalidOperationException("not a write: " + command.Op),
        };
    }

    /// <summary>The client's answer to an applied command.</summary>
    public static ClientResponse ToResponse(ulong requestId, ClientOp op, in StorageKvCommand command, in KvResult result)
    {
        var response = new ClientResponse { RequestId = requestId, Op = op, Status = ClientStatus.Ok };
        switch (result.Status)
        {
            case KvStatus.Ok when op == ClientOp.RegisterSession:
                return response with { ClientId = (ulong)command.ClientId };
            case KvStatus.Ok when ClientOps.IsControllerWrite(op):
                return response with { ConfigurationNumber = Sharding.ReplicatedShardController.AnsweredNumber(result.Value) };
            case KvStatus.Refused:
                return response with { Status = ClientStatus.InvalidArgument, Message = System.Text.Encoding.UTF8.GetString(result.Value ?? []) };
            case KvStatus.Ok:
                return response;
            case KvStatus.NotFound:
                return response with { Status = ClientStatus.NotFound };
            case KvStatus.Swapped:
            case KvStatus.NotSwapped:
                return response with
                {
                    Swapped = result.Status == KvStatus.Swapped,
                    Value = result.Value,
                    ValuePresent = result.Value is not null,
                };
            case KvStatus.SessionExpired:
                return response with { Status = ClientStatus.SessionExpired, Message = "unknown or expired session: register a new one" };
            case KvStatus.StaleSequence:
                return response with { Status = ClientStatus.InvalidArgument, Message = ClientContract.StaleSequenceMessage };
            case KvStatus.SequenceReused:
                return response with { Status = ClientStatus.InvalidArgument, Message = ClientContract.SequenceReusedMessage };
            case KvStatus.SessionNotOwned:
                return response with { Status = ClientStatus.SessionNotOwned, Message = SessionNotOwnedMessage };
            case KvStatus.TooManySessions:
                return response with { Status = ClientStatus.TooManySessions, Message = TooManySessionsMessage };
            case KvStatus.SessionIdTaken:
                return response with { Status = ClientStatus.Retryable, Message = "session id already in use: register again" };
            case KvStatus.TooLarge: // an Append that would grow the value past ValueBytesMax (parsed keys and values are within limits)
                return response with { Status = ClientStatus.TooLarge, Message = ValueTooLarge };
            default:
                return response with { Status = ClientStatus.InternalError, Message = "unexpected result " + result.Status };
        }
    }

    private static KvOp ControllerOp(ClientOp op) => op switch
    {
        ClientOp.GroupJoin => KvOp.GroupJoin,
        ClientOp.GroupLeave => KvOp.GroupLeave,
        _ => KvOp.ShardMove,
    };
}
