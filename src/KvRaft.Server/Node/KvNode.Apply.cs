using System.Runtime.InteropServices;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Storage;
using ProtocolKvCommand = KvRaft.Protocol.KvCommand;
using StorageKvCommand = KvRaft.Storage.KvCommand;

namespace KvRaft.Server.Node;

/// <summary>Applying committed entries to the state machine and answering their writers.</summary>
public sealed partial class KvNode
{
    private readonly List<KvApply> _applies = new();
    private readonly List<int> _commandsPerEntry = new();
    private readonly List<KvResult> _results = new();
    private readonly List<bool> _refusedAtApply = new(); // per apply: a key write of a shard this group does not serve there (WrongGroup)

    /// <summary>Applies committed entries as one batch (one state machine pass) and answers their writers.</summary>
    private void ApplyCommitted(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        _applies.Clear();
        _commandsPerEntry.Clear();
        _results.Clear();
        _refusedAtApply.Clear();
        for (var i = 0; i < entries.Count; i++)
        {
            _commandsPerEntry.Add(AddApplies(entries[i]));
            _appliedBytesThisTurn += entries[i].SizeBytes;
        }

        var committed = _profile.Timestamp();
        _machine.ApplyBatch(CollectionsMarshal.AsSpan(_applies), _results);
        var applied = _profile.Timestamp();
        _profile.Applied(applied - committed, _applies.Count);
        Invariant.True(_results.Count == _applies.Count, (_results.Count, _applies.Count));
        var next = 0;
        for (var i = 0; i < entries.Count; i++) // index loops: a foreach over an IReadOnlyList would box an enumerator
        {
            var commands = _commandsPerEntry[i];
            if (TryTakeProposal(entries[i].Index, entries[i].Term, out var proposal))
            {
                Invariant.True(proposal.Count == commands, (proposal.Count, commands));
                var writers = proposal.Span;
                for (var k = 0; k < commands; k++)
                {
                    if (_refusedAtApply[next + k])
                    {
                        ReplyWrongGroup(writers[k].ConnectionId, writers[k].RequestId, writers[k].Op, writers[k].Received);
                        continue;
                    }
                    ReplyResult(writers[k], _applies[next + k], _results[next + k]);
                }

                Statistics.ProposalCommitted();
                MarkWritesApplied(entries[i].Index, writers, committed, applied);
                ReleaseApplied(proposal);
            }
            next += commands;
        }
    }

    private int AddApplies(Entry entry)
    {
        if (entry.Type == Raft.EntryType.Config)
        {
            AddApply(new KvApply(entry.Index, entry.Term, ConfigureCommand(entry)));
            return 1;
        }
        if (entry.Type != Raft.EntryType.Normal)
        {
            AddApply(new KvApply(entry.Index, entry.Term, new StorageKvCommand(KvOp.Noop, default)));
            return 1;
        }
        if (ShardEntryCodec.IsShardEntry(entry.Data.Span))
        {
            AddApply(new KvApply(entry.Index, entry.Term, ApplyShardEntry(entry)));
            return 1;
        }
        var parsed = KvCommandBatchCodec.Parse(entry.Data, out var batch);
        Invariant.True(parsed.Error == ProtocolError.None, parsed.Message); // it passed the same codec when proposed
        var position = 0;
        foreach (var command in batch)
        {
            if (IsKeyOp(command.Op) && IsRefusedKey(command.Key.Span))
            {
                // Decided here, at the write's log position (the shard may have left since it was proposed): refused
                // with WrongGroup, and a Noop in its place, so that its session sequence is not consumed.
                _applies.Add(new KvApply(entry.Index, entry.Term, new StorageKvCommand(KvOp.Noop, default)));
                _refusedAtApply.Add(true);
            }
            else
            {
                AddApply(new KvApply(entry.Index, entry.Term, CommandMapper.ToStorage(command, entry.Index, position)));
            }
            position++;
        }
        return position;
    }

    private void AddApply(in KvApply apply)
    {
        _applies.Add(apply);
        _refusedAtApply.Add(false);
    }

    private void ReplyResult(Writer writer, in KvApply apply, in KvResult result) =>
        _clients.Reply(writer.ConnectionId, CommandMapper.ToResponse(writer.RequestId, writer.Op, apply.Command, result), writer.Received);
}
