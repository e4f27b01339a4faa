// Goal: a victim process for the crash tests: appends batches to a FasterRaftLogStore and prints each acknowledgement
// ("ACK first last term hardTerm hardCommit") only after CommitAsync returned; the test kills it with SIGKILL at random.
using KvRaft.Storage;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: KvRaft.Storage.CrashHelper <directory> <seed>");
    return 2;
}
var limits = StorageLimits.Default with { LogPageBits = 16, LogMemoryBits = 20, LogSegmentBits = 22, EntryMaxBytes = 4096 };
using var store = FasterRaftLogStore.Open(args[0], limits);
var random = new Random(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
var hard = store.HardState;
Console.WriteLine($"OPEN {store.LastIndex} {hard.Term} {hard.Commit}");
Console.Out.Flush();
while (true)
{
    var first = store.LastIndex + 1;
    var term = Math.Max(hard.Term, 1);
    if (random.Next(5) == 0 && store.LastIndex >= store.FirstIndex)
    {
        first = Math.Max(store.FirstIndex, store.LastIndex - random.Next(5));
        term++;
    }
    var count = 1 + random.Next(64);
    var entries = new LogEntry[count];
    for (var i = 0; i < count; i++)
    {
        entries[i] = CrashData.Entry(first + i, term);
    }
    hard = new HardState(term, 1, Math.Max(hard.Commit, first - 1));
    store.Append(entries, hard);
    await store.CommitAsync();
    Console.WriteLine($"ACK {first} {first + count - 1} {term} {hard.Term} {hard.Commit}");
    Console.Out.Flush();
}
