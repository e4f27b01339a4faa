using KvRaft.Protocol;
using KvRaft.Raft;
using ProtocolEntryType = KvRaft.Protocol.EntryType;
using RaftEntryType = KvRaft.Raft.EntryType;

namespace KvRaft.Server.Node;

/// <summary>Maps the core's messages to their wire form and back, field for field.</summary>
public static class PeerMessageMapper
{
    /// <summary>
    /// The wire form of <paramref name="message"/>; its entries go into <paramref name="scratch"/> (grown when too
    /// small), so the result is valid until the next call with the same scratch.
    /// </summary>
    public static PeerMessage ToWire(in Message message, ref WireEntry[] scratch)
    {
        var source = message.Entries.Span;
        if (scratch.Length < source.Length)
        {
            scratch = new WireEntry[Math.Max(source.Length, 2 * scratch.Length)];
        }

        for (var i = 0; i < source.Length; i++)
        {
            var entry = source[i];
            scratch[i] = new WireEntry(entry.Index, entry.Term, (ProtocolEntryType)entry.Type, entry.Data);
        }
        return new PeerMessage
        {
            Type = (PeerMessageType)(message.Type - 1),
            From = message.From,
            To = message.To,
            Term = message.Term,
            LogTerm = message.LogTerm,
            Index = message.Index,
            Commit = message.Commit,
            Reject = message.Reject,
            RejectHint = message.RejectHint,
            Context = message.Context,
            Entries = EntryList.From(scratch.AsMemory(0, source.Length)),
            Snapshot = message.Type == MessageType.Snapshot
                ? ToWire(message.Snapshot)
                : null,
        };
    }

    /// <summary>
    /// The core's form of <paramref name="wire"/> (whose entries must be decompressed); its entries go into
    /// <paramref name="scratch"/> (grown when too small), so the result is valid until the next call with it.
    /// </summary>
    public static Message FromWire(in PeerMessage wire, ref Entry[] scratch)
    {
        Invariant.True(!wire.Entries.IsCompressed);
        if (scratch.Length < wire.Entries.Count)
        {
            scratch = new Entry[Math.Max(wire.Entries.Count, 2 * scratch.Length)];
        }

        var i = 0;
        foreach (var entry in wire.Entries)
        {
            scratch[i++] = new Entry(entry.Index, entry.Term, (RaftEntryType)entry.Type, entry.Data);
        }

        var message = new Message
        {
            Type = (MessageType)((byte)wire.Type + 1),
            From = wire.From,
            To = wire.To,
            Term = wire.Term,
            LogTerm = wire.LogTerm,
            Index = wire.Index,
            Commit = wire.Commit,
            Reject = wire.Reject,
            RejectHint = wire.RejectHint,
            Context = wire.Context,
            Entries = scratch.AsMemory(0, i),
        };
        if (wire.Snapshot is { } snapshot)
        {
            message.Snapshot = new SnapshotMetadata(snapshot.Index, snapshot.Term, ConfigOf(snapshot));
        }
        return message;
    }

    private static SnapshotMeta ToWire(in SnapshotMetadata snapshot)
    {
        var config = snapshot.Config;
        return new SnapshotMeta(snapshot.Index, snapshot.Term, config.Voters)
        {
            VotersOutgoing = config.VotersOutgoing,
            Learners = config.Learners,
            AutoLeave = config.AutoLeave,
        };
    }

    /// <summary>The configuration a snapshot's metadata carries, lists sorted (the validator checks it is well-formed).</summary>
    public static ConfigState ConfigOf(in SnapshotMeta snapshot) => new ConfigState(snapshot.Voters.ToArray())
    {
        VotersOutgoing = snapshot.VotersOutgoing.ToArray(),
        Learners = snapshot.Learners.ToArray(),
        AutoLeave = snapshot.AutoLeave,
    }.Normalized();
}
