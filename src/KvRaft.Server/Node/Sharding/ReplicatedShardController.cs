using System.Buffers.Binary;
using System.Text;
using KvRaft.Protocol.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Node.Sharding;

/// <summary>
/// The controller group's replicated state (docs/design.md, "The controller group."): the <see cref="ShardController"/>
/// of group 0's state machine, executed from group 0's log (<see cref="KvOp.GroupJoin"/>, <see cref="KvOp.GroupLeave"/>,
/// <see cref="KvOp.ShardMove"/>, after the state machine deduplicated them by session) and kept as records of that
/// state machine, so its snapshots, installs and recovery carry it (docs/storage-format.md, "Extension records").
/// Configurations 0 and 1 are the bootstrap every process computes from its flags (<see cref="ShardController.Bootstrap"/>)
/// and are never written; each later one is a record. The kept ones are the latest <see cref="ShardController.ConfigurationsKept"/>.
/// It is also its process's <see cref="IShardConfigurationSource"/>: the applied state, published as an immutable
/// array, so any thread may read it (a snapshot install reloads it off the event loop).
/// </summary>
public sealed class ReplicatedShardController : ICommandExtension, IShardConfigurationSource
{
    /// <summary>Bytes of a controller command's arguments in the storage command's key: i32 group id, i32 shard (little-endian).</summary>
    public const int ArgumentBytes = 8;

    private static readonly byte[] RangeKey = [1]; // i64 first, i64 last kept configuration numbers (little-endian)
    private const byte ConfigurationKeyPrefix = 2; // then i64 number, big-endian: the encoded configuration

    private readonly ShardController _bootstrap;
    private volatile ShardConfiguration[] _kept;

    /// <summary>A controller whose configurations 0 and 1 are <paramref name="bootstrap"/>'s (the same on every process).</summary>
    public ReplicatedShardController(ShardController bootstrap)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        Invariant.True(bootstrap.Latest.Number == GroupRouting.BootstrapNumber && bootstrap.Kept.Count == 2, bootstrap.Latest.Number);
        _bootstrap = bootstrap;
        _kept = [.. bootstrap.Kept];
    }

    /// <summary>The groups the processes host (configuration 1's): the only ones that may join.</summary>
    public IReadOnlyList<ShardGroup> HostedGroups => _bootstrap.Latest.Groups;

    /// <summary>The kept configurations, oldest first.</summary>
    public IReadOnlyList<ShardConfiguration> Kept => _kept;

    /// <inheritdoc/>
    public ShardConfiguration Latest => _kept[^1];

    /// <inheritdoc/>
    public ShardConfiguration? TryGet(long number)
    {
        var kept = _kept;
        var offset = number - kept[0].Number;
        return offset >= 0 && offset < kept.Length ? kept[offset] : null;
    }

    /// <summary>The storage command's key for a controller command's arguments.</summary>
    public static byte[] Arguments(int groupId, int shard)
    {
        var key = new byte[ArgumentBytes];
        BinaryPrimitives.WriteInt32LittleEndian(key, groupId);
        BinaryPrimitives.WriteInt32LittleEndian(key.AsSpan(4), shard);
        return key;
    }

    /// <summary>The configuration number an accepted controller command answered (its result's value).</summary>
    public static long AnsweredNumber(ReadOnlySpan<byte> value) => value.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(value) : -1;

    /// <inheritdoc/>
    public KvResult Execute(in KvCommand command, IExtensionRecords records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (command.Key.Length != ArgumentBytes)
        {
            return Refused("a controller command carries 8 bytes of arguments"); // not from our mapper: refused, never asserted
        }
        var groupId = BinaryPrimitives.ReadInt32LittleEndian(command.Key.Span);
        var shard = BinaryPrimitives.ReadInt32LittleEndian(command.Key.Span[4..]);
        var controller = new ShardController(_kept);
        var before = controller.Latest.Number;
        var outcome = command.Op switch
        {
            KvOp.GroupJoin => Join(controller, groupId),
            KvOp.GroupLeave => controller.Leave(groupId),
            KvOp.ShardMove => controller.Move(shard, groupId),
            _ => new ControllerOutcome(null, "not a controller command"),
        };
        if (!outcome.Accepted)
        {
            return Refused(outcome.Refusal!);
        }
        if (controller.Latest.Number != before)
        {
            Store(controller, records);
        }
        var answer = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(answer, controller.Latest.Number);
        return new KvResult(KvStatus.Ok, answer);
    }

    /// <inheritdoc/>
    public void Reload(IExtensionRecords records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _kept = Load(records);
    }

    /// <inheritdoc/>
    public void Check(IExtensionRecords records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _ = Load(records);
    }

    /// <summary>
    /// The kept configurations the records hold, every one validated (docs/storage-format.md, "Extension records"):
    /// the range record 16 bytes, its numbers past the bootstrap and at most <see cref="ShardController.ConfigurationsKept"/>
    /// apart; a record for each number in it past the bootstrap, which decodes (<see cref="ShardConfigurationCodec"/>),
    /// holds that number and the bootstrap's shard count, and names only hosted groups. Throws <see cref="StorageCorruptException"/> naming the record.
    /// </summary>
    private ShardConfiguration[] Load(IExtensionRecords records)
    {
        if (records.Read(RangeKey) is not { } range)
        {
            return [.. _bootstrap.Kept]; // nothing applied yet: the bootstrap
        }
        if (range.Length != 16)
        {
            throw Corrupt($"the range record holds {range.Length} bytes, not 16");
        }
        long first = BinaryPrimitives.ReadInt64LittleEndian(range), last = BinaryPrimitives.ReadInt64LittleEndian(range.AsSpan(8));
        if (first < 0 || last <= GroupRouting.BootstrapNumber || first > last || last - first >= ShardController.ConfigurationsKept)
        {
            throw Corrupt($"the kept range {first}..{last} is not 0 <= first <= last, last past {GroupRouting.BootstrapNumber}, at most {ShardController.ConfigurationsKept} configurations");
        }
        var kept = new ShardConfiguration[last - first + 1];
        for (var number = first; number <= last; number++)
        {
            kept[number - first] = number <= GroupRouting.BootstrapNumber ? _bootstrap.Kept[(int)number] : ReadConfiguration(records, number);
        }
        return kept; // consecutive and sound, as ShardController's constructor requires
    }

    private ControllerOutcome Join(ShardController controller, int groupId)
    {
        if (_bootstrap.Latest.FindGroup(groupId) is not { } hosted)
        {
            var ids = string.Join(", ", HostedGroups.Select(group => group.GroupId));
            return new ControllerOutcome(null, $"group {groupId} is not hosted by the processes (they host {ids}): creating groups on running processes is not built");
        }
        return controller.Join(groupId, hosted.Members);
    }

    /// <summary>Writes the new latest configuration, forgets the ones past the bound, and publishes the result.</summary>
    private void Store(ShardController controller, IExtensionRecords records)
    {
        var kept = controller.Kept;
        var latest = kept[^1];
        Span<byte> key = stackalloc byte[9];
        records.Write(ConfigurationKey(latest.Number, key), ShardConfigurationCodec.Encode(latest));
        for (var number = _kept[0].Number; number < kept[0].Number; number++)
        {
            if (number > GroupRouting.BootstrapNumber)
            {
                records.Remove(ConfigurationKey(number, key));
            }
        }
        Span<byte> range = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(range, kept[0].Number);
        BinaryPrimitives.WriteInt64LittleEndian(range[8..], latest.Number);
        records.Write(RangeKey, range);
        _kept = [.. kept];
    }

    private ShardConfiguration ReadConfiguration(IExtensionRecords records, long number)
    {
        Span<byte> key = stackalloc byte[9];
        if (records.Read(ConfigurationKey(number, key)) is not { } bytes)
        {
            throw Corrupt($"configuration {number}, within the kept range, has no record");
        }
        var read = ShardConfigurationCodec.Read(bytes, out var configuration);
        if (!read.IsOk)
        {
            throw Corrupt($"the record of configuration {number} does not decode: {read.Message}");
        }
        if (configuration!.Number != number || configuration.ShardCount != _bootstrap.Latest.ShardCount)
        {
            throw Corrupt($"the record of configuration {number} holds configuration {configuration.Number} of {configuration.ShardCount} shards (the cluster has {_bootstrap.Latest.ShardCount})");
        }
        if (configuration.Groups.FirstOrDefault(group => _bootstrap.Latest.FindGroup(group.GroupId) is null) is { } stranger)
        {
            throw Corrupt($"configuration {number} names group {stranger.GroupId}, which the processes do not host");
        }
        return configuration;
    }

    private static StorageCorruptException Corrupt(string detail) => new($"shard controller records (group 0): {detail}; the records are refused");

    private static ReadOnlySpan<byte> ConfigurationKey(long number, Span<byte> destination)
    {
        destination[0] = ConfigurationKeyPrefix;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], number);
        return destination[..9];
    }

    private static KvResult Refused(string reason) => new(KvStatus.Refused, Encoding.UTF8.GetBytes(reason));
}
