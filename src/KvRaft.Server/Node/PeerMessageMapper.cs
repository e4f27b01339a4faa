using KvRaft.Protocol;
using KvRaft.Raft;
using ProtocolEntryType = KvRaft.Protocol.EntryType;
using RaftEntryType = KvRaft.Raft.EntryType;

namespace KvRaft.Server.Node;

/// <summary>Maps the core's messages to their wire form and back, field for field.</summary>
public static class PeerMessageMapper
{
    /// <summary>The wire form of <paramref name="message"/>; entries are copied into a fresh array.</summary>
    public static PeerMessage ToWire(in Message message)
    {
        WireEntry[] entries = message.Entries.Length == 0 ? Array.Empty<WireEntry>() : new WireEntry[message.Entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            Entry entry = message.Entries[i];
            entries[i] = new WireEntry(entry.Index, entry.Term, (ProtocolEntryType)entry.Type, entry.Data);
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
            Entries = EntryList.From(entries),
            Snapshot = message.Type == MessageType.Snapshot
                ? new SnapshotMeta(message.Snapshot.Index, message.Snapshot.Term, message.Snapshot.Config.Voters)
                : null,
        };
    }

    /// <summary>The core's form of <paramref name="wire"/> (whose entries must be decompressed).</summary>
    public static Message FromWire(in PeerMessage wire)
    {
        Invariant.True(!wire.Entries.IsCompressed);
        Entry[] entries = wire.Entries.Count == 0 ? Array.Empty<Entry>() : new Entry[wire.Entries.Count];
        int i = 0;
        foreach (WireEntry entry in wire.Entries) entries[i++] = new Entry(entry.Index, entry.Term, (RaftEntryType)entry.Type, entry.Data);
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
            Entries = entries,
        };
        if (wire.Snapshot is { } snapshot)
        {
            message.Snapshot = new SnapshotMetadata(snapshot.Index, snapshot.Term, new ConfigState(snapshot.Voters.ToArray()));
        }
        return message;
    }
}
