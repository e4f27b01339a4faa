// Goal: a victim process for the crash tests: appends batches to a FasterRaftLogStore and reports them; the test kills
// it with SIGKILL at random. Lines: "START" before recovery, "OPEN last hardTerm hardVote hardCommit" after it,
// "BATCH first last term hardTerm hardVote hardCommit" before each append, "ACK" only after its CommitAsync returned.
using KvRaft.Storage;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: KvRaft.Storage.CrashHelper <directory> <seed>");
    return 2;
}
Console.WriteLine("START");
using var store = FasterRaftLogStore.Open(args[0], CrashData.Limits);
var random = new Random(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
var hard = store.HardState;
Console.WriteLine($"OPEN {store.LastIndex} {hard.Term} {hard.Vote} {hard.Commit}");
while (true)
{
    var first = store.LastIndex + 1;
    var term = Math.Max(hard.Term, 1);
    if (random.Next(5) == 0 && store.LastIndex >= store.FirstIndex)
    {
        // A new leader's entries replace a short suffix; a short batch truncates the rest of it.
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
    Console.WriteLine($"BATCH {first} {first + count - 1} {term} {hard.Term} {hard.Vote} {hard.Commit}");
    store.Append(entries, hard);
    await store.CommitAsync();
    Console.WriteLine("ACK");
}
