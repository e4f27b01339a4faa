// Goal: what a node's log and state machine reopened after a simulated crash must hold together; method: the log's
// expectation, the snapshot or install last acknowledged (the state machine may not fall below it: the log was compacted
// up to it), and the state every index must produce (entry i carries a command derived from i).
using System.Text;

namespace KvRaft.Storage.Tests;

/// <summary>
/// What must survive a crash at one point, the step the node was taking (append, apply, snapshot, compact, install), and
/// where the state machine's own log compaction stood (<see cref="KvCompaction"/>: running, done but its begin address
/// not yet in a durable checkpoint, or none since the last snapshot).
/// </summary>
internal sealed record NodeExpectation(LogExpectation Log, long AppliedFloor, long AppliedCeiling, long SnapshotFloor, string Step, string KvCompaction = "")
{
    public const string CompactionRunning = "running";
    public const string CompactionNotDurable = "not durable";

    /// <summary>Where the compaction begun after the last snapshot stands (null: none).</summary>
    public static string CompactionPhase(Task? compaction) =>
        compaction is null ? "" : compaction.IsCompleted ? CompactionNotDurable : CompactionRunning;

    private const int Keys = 23;

    /// <summary>The command of entry <paramref name="index"/>: puts, appends and deletes over a few keys.</summary>
    public static KvCommand CommandAt(long index)
    {
        var key = Encoding.UTF8.GetBytes($"k{index * 7 % Keys}");
        return (index % 5, index % 3) switch
        {
            (0, _) => new KvCommand(KvOp.Delete, key),
            (_, 0) => new KvCommand(KvOp.Append, key, Encoding.UTF8.GetBytes($"+{index}")),
            _ => new KvCommand(KvOp.Put, key, Encoding.UTF8.GetBytes($"v{index}")),
        };
    }

    public static KvApply[] Applies(long from, long to) =>
        [.. Enumerable.Range(0, (int)Math.Max(0, to - from + 1)).Select(k => new KvApply(from + k, 1, CommandAt(from + k)))];

    /// <summary>Every key's value after applying entries 1..<paramref name="index"/>.</summary>
    public static Dictionary<string, string> StateAt(long index)
    {
        var state = new Dictionary<string, string>();
        for (long i = 1; i <= index; i++)
        {
            var command = CommandAt(i);
            var key = Encoding.UTF8.GetString(command.Key.Span);
            var value = Encoding.UTF8.GetString(command.Value.Span);
            switch (command.Op)
            {
                case KvOp.Delete:
                    state.Remove(key);
                    break;
                case KvOp.Append:
                    state[key] = state.GetValueOrDefault(key, "") + value;
                    break;
                default:
                    state[key] = value;
                    break;
            }
        }
        return state;
    }

    public static void AssertState(IKvStateMachine machine, long index, Func<string> where)
    {
        var expected = StateAt(index);
        for (var k = 0; k < Keys; k++)
        {
            var key = $"k{k}";
            var actual = machine.Get(Encoding.UTF8.GetBytes(key)) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
            Assert.True(expected.GetValueOrDefault(key) == actual,
                $"{key} is {actual ?? "absent"}, not {expected.GetValueOrDefault(key) ?? "absent"} as of applied index {index}: {where()}");
        }
    }
}
