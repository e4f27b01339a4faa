using System;
using System.Buffers.Binary;

namespace KvRaft.Raft;

/// <summary>What one change does to one node.</summary>
public enum ConfigChangeType : byte
{
    /// <summary>Make the node a voter (a learner so promoted keeps its log).</summary>
    AddVoter = 1,
    /// <summary>Make a node that is no member a learner.</summary>
    AddLearner = 2,
    /// <summary>Take the node (voter or learner) out of the configuration.</summary>
    RemoveNode = 3,
}

/// <summary>One change of a membership change.</summary>
public readonly record struct ConfigChange(ConfigChangeType Type, int NodeId);

/// <summary>How a membership change moves the configuration.</summary>
public enum ConfigTransition : byte
{
    /// <summary>In one step when at most one voter changes (the simple form), else through the joint state.</summary>
    Auto = 0,
    /// <summary>Always through the joint state C_old,new (left automatically once entered).</summary>
    Joint = 1,
}

/// <summary>The result of proposing a membership change; every refusal leaves the log untouched.</summary>
public enum ConfigChangeStatus : byte
{
    /// <summary>Appended to the leader's log: it takes effect on each node when that node applies it.</summary>
    Accepted,
    /// <summary>This node is not the leader.</summary>
    NotLeader,
    /// <summary>A leadership transfer is under way.</summary>
    TransferInProgress,
    /// <summary>
    /// An earlier change (or this leader's first entry, which may follow one from an earlier term) is not applied
    /// yet, or the joint state it entered is not left yet: one change at a time.
    /// </summary>
    ChangePending,
    /// <summary>
    /// The change does not fit the configuration: empty, over <see cref="ConfigState.MembersMax"/>, a node id not
    /// positive or named twice, a voter added again, a learner added again or added while a voter (demotion is not
    /// supported), a node removed that is no member.
    /// </summary>
    Invalid,
    /// <summary>The change would leave no voter.</summary>
    NoVotersLeft,
}

/// <summary>
/// A membership change as a Config entry carries it: a change, or the leader's "leave the joint state". The context
/// is the host's, opaque to the core (at most <see cref="ConfigChangeCodec.ContextBytesMax"/> bytes; empty for none).
/// </summary>
internal readonly record struct ConfigChangeRequest(bool LeaveJoint, ConfigTransition Transition, ConfigChange[] Changes)
{
    public static readonly ConfigChangeRequest Leave = new(true, ConfigTransition.Auto, []);

    public byte[] Context { get; init; } = [];
}

/// <summary>
/// The payload of a Config entry, little-endian: u8 kind (1 change, 2 leave the joint state, 3 change with a context);
/// for a change, u8 transition (0 auto, 1 joint), u8 count (1..<see cref="ConfigState.MembersMax"/>), then count times
/// u8 type (1 add voter, 2 add learner, 3 remove) and i32 node id; kind 3 then has u16 context length (1..
/// <see cref="ContextBytesMax"/>) and the context, the host's opaque bytes. A payload that does not decode changes
/// nothing when applied.
/// </summary>
internal static class ConfigChangeCodec
{
    /// <summary>Longest context a change carries.</summary>
    public const int ContextBytesMax = 48 * 1024;

    private const byte KindChange = 1, KindLeave = 2, KindChangeWithContext = 3;
    private const int ChangeBytes = 5;

    public static byte[] Encode(in ConfigChangeRequest request)
    {
        if (request.LeaveJoint)
        {
            return [KindLeave];
        }

        Invariant.True(request.Changes.Length is > 0 and <= ConfigState.MembersMax, request.Changes.Length);
        Invariant.True(request.Context.Length <= ContextBytesMax, request.Context.Length);
        var changesEnd = 3 + (ChangeBytes * request.Changes.Length);
        var bytes = new byte[changesEnd + (request.Context.Length > 0 ? 2 + request.Context.Length : 0)];
        bytes[0] = request.Context.Length > 0 ? KindChangeWithContext : KindChange;
        bytes[1] = (byte)request.Transition;
        bytes[2] = (byte)request.Changes.Length;
        for (var i = 0; i < request.Changes.Length; i++)
        {
            var at = 3 + (ChangeBytes * i);
            bytes[at] = (byte)request.Changes[i].Type;
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 1), request.Changes[i].NodeId);
        }
        if (request.Context.Length > 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(changesEnd), (ushort)request.Context.Length);
            request.Context.CopyTo(bytes.AsSpan(changesEnd + 2));
        }
        return bytes;
    }

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ConfigChangeRequest request)
    {
        request = default;
        if (bytes.Length == 1 && bytes[0] == KindLeave)
        {
            request = ConfigChangeRequest.Leave;
            return true;
        }
        if (bytes.Length < 3 || bytes[0] is not (KindChange or KindChangeWithContext) || bytes[1] > (byte)ConfigTransition.Joint)
        {
            return false;
        }

        int count = bytes[2];
        var changesEnd = 3 + (ChangeBytes * count);
        if (count is 0 or > ConfigState.MembersMax || !TryReadContext(bytes, changesEnd, out var context))
        {
            return false;
        }

        var changes = new ConfigChange[count];
        for (var i = 0; i < count; i++)
        {
            var at = 3 + (ChangeBytes * i);
            var type = bytes[at];
            if (type is < (byte)ConfigChangeType.AddVoter or > (byte)ConfigChangeType.RemoveNode)
            {
                return false;
            }

            changes[i] = new ConfigChange((ConfigChangeType)type, BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 1)..]));
        }
        request = new ConfigChangeRequest(false, (ConfigTransition)bytes[1], changes) { Context = context };
        return true;
    }

    /// <summary>The context after the changes (kind 3), none for kind 1; false when the lengths do not add up.</summary>
    private static bool TryReadContext(ReadOnlySpan<byte> bytes, int changesEnd, out byte[] context)
    {
        context = [];
        if (bytes[0] == KindChange)
        {
            return bytes.Length == changesEnd;
        }

        if (bytes.Length < changesEnd + 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[changesEnd..]);
        if (length is 0 or > ContextBytesMax || bytes.Length != changesEnd + 2 + length)
        {
            return false;
        }

        context = bytes.Slice(changesEnd + 2, length).ToArray();
        return true;
    }
}

/// <summary>
/// The configuration a change leads to (after etcd-io/raft's confchange.Changer): the simple form when at most one
/// voter changes and the transition allows it, else the joint state with auto-leave; leaving keeps the incoming half.
/// </summary>
internal static class ConfigChanger
{
    public static ConfigChangeStatus TryApply(ConfigState current, in ConfigChangeRequest request, out ConfigState next)
    {
        next = current;
        if (request.LeaveJoint)
        {
            if (!current.IsJoint)
            {
                return ConfigChangeStatus.Invalid;
            }

            next = current with { VotersOutgoing = [], AutoLeave = false };
            return ConfigChangeStatus.Accepted;
        }
        if (current.IsJoint)
        {
            return ConfigChangeStatus.ChangePending;
        }

        var changes = request.Changes;
        if (changes.Length is 0 or > ConfigState.MembersMax)
        {
            return ConfigChangeStatus.Invalid;
        }

        var voters = new System.Collections.Generic.List<int>(current.Voters);
        var learners = new System.Collections.Generic.List<int>(current.Learners);
        for (var i = 0; i < changes.Length; i++)
        {
            var id = changes[i].NodeId;
            if (id <= 0)
            {
                return ConfigChangeStatus.Invalid;
            }

            for (var k = 0; k < i; k++)
            {
                if (changes[k].NodeId == id)
                {
                    return ConfigChangeStatus.Invalid;
                }
            }
            bool isVoter = voters.Contains(id), isLearner = learners.Contains(id);
            switch (changes[i].Type)
            {
                case ConfigChangeType.AddVoter when !isVoter:
                    learners.Remove(id);
                    voters.Add(id);
                    break;
                case ConfigChangeType.AddLearner when !isVoter && !isLearner:
                    learners.Add(id);
                    break;
                case ConfigChangeType.RemoveNode when isVoter || isLearner:
                    voters.Remove(id);
                    learners.Remove(id);
                    break;
                default:
                    return ConfigChangeStatus.Invalid;
            }
        }
        if (voters.Count == 0)
        {
            return ConfigChangeStatus.NoVotersLeft;
        }

        var incoming = new ConfigState(voters.ToArray()) { Learners = learners.ToArray() };
        incoming = incoming.Normalized();
        var simple = request.Transition == ConfigTransition.Auto && VotersChanged(current.Voters, incoming.Voters) <= 1;
        next = simple ? incoming : incoming with { VotersOutgoing = current.Voters, AutoLeave = true };
        return next.IsWellFormed() ? ConfigChangeStatus.Accepted : ConfigChangeStatus.Invalid;
    }

    /// <summary>How many ids are in exactly one of the two sets.</summary>
    private static int VotersChanged(int[] before, int[] after)
    {
        var changed = 0;
        foreach (var id in before)
        {
            if (Array.IndexOf(after, id) < 0)
            {
                changed++;
            }
        }

        foreach (var id in after)
        {
            if (Array.IndexOf(before, id) < 0)
            {
                changed++;
            }
        }

        return changed;
    }
}
