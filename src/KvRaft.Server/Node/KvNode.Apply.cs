using System.Runtime.InteropServices;
using KvRaft.Protocol;
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
        for (var i = 0; i < entries.Count; i++)
        {
            _commandsPerEntry.Add(AddApplies(entries[i]));
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
            _applies.Add(new KvApply(entry.Index, entry.Term, ConfigureCommand(entry)));
            return 1;
        }
        if (entry.Type != Raft.EntryType.Normal)
        {
            _applies.Add(new KvApply(entry.Index, entry.Term, new StorageKvCommand(KvOp.Noop, default)));
            return 1;
        }
        var parsed = KvCommandBatchCodec.Parse(entry.Data, out var batch);
        Invariant.True(parsed.Error == ProtocolError.None, parsed.Message); // it passed the same codec when proposed
        var position = 0;
        foreach (var command in batch)
        {
            _applies.Add(new KvApply(entry.Index, entry.Term, CommandMapper.ToStorage(command, entry.Index, position)));
            position++;
        }
        return position;
    }

    private void ReplyResult(Writer writer, in KvApply apply, in KvResult result) =>
        _clients.Reply(writer.ConnectionId, CommandMapper.ToResponse(writer.RequestId, writer.Op, apply.Command, result), writer.Received);
}
