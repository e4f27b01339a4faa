using KvRaft.Protocol.Sharding;

namespace KvRaft.Server.Node.Sharding;

/// <summary>
/// The shard configurations this process knows: the applied state of its replica of the controller group (group 0;
/// every process of a sharded cluster hosts one). A configuration is immutable once the controller made it, and a
/// replica applies only committed entries, so any configuration a source returns is final; a source that has not
/// applied configuration k yet returns null for it, and the caller asks again on a later tick.
/// </summary>
public interface IShardConfigurationSource
{
    /// <summary>The newest configuration this process's controller replica has applied.</summary>
    ShardConfiguration Latest { get; }

    /// <summary>Configuration <paramref name="number"/>, or null when not applied here yet (or forgotten).</summary>
    ShardConfiguration? TryGet(long number);
}
