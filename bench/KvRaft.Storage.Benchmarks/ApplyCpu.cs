// Goal: the CPU time and the allocation of applying puts as a node applies them (each under one of 256 sessions,
// 10,000 keys, 100-byte values, batches of 1,024), measured in a way a busy machine distorts less than wall time:
// the process's CPU time (user + system) and the applying thread's allocated bytes, per put, over rounds of a million
// puts after one unmeasured round. No snapshot is taken.
// Run: dotnet run -c Release --project bench/KvRaft.Storage.Benchmarks -- --apply-cpu [rounds, default 5]
using System.Diagnostics;

namespace KvRaft.Storage.Benchmarks;

internal static class ApplyCpu
{
    private const int Keys = 10_000;
    private const int Sessions = 256;
    private const int BatchSize = 1024;
    private const int PutsPerRound = 1 << 20;

    public static void Run(int rounds)
    {
        var directory = BenchData.NewDirectory("apply-cpu");
        try
        {
            using var machine = FasterKvStateMachine.Open(directory);
            var keys = Enumerable.Range(0, Keys).Select(k => (ReadOnlyMemory<byte>)BenchData.Key(k)).ToArray();
            ReadOnlyMemory<byte> value = BenchData.Bytes(BenchData.ValueBytes, 1);
            var batch = new KvApply[BatchSize];
            var results = new List<KvResult>(BatchSize);
            long index = 0, sequence = 0;
            for (var session = 1; session <= Sessions; session++)
            {
                results.Clear();
                machine.ApplyBatch([new KvApply(++index, 1, new KvCommand(KvOp.RegisterSession, default, ClientId: session))], results);
            }
            void ApplyRound()
            {
                for (var put = 0; put < PutsPerRound; put += BatchSize)
                {
                    for (var i = 0; i < BatchSize; i++)
                    {
                        index++;
                        var session = i % Sessions;
                        sequence += session == 0 ? 1 : 0;
                        batch[i] = new KvApply(index, 1, new KvCommand(KvOp.Put, keys[index % Keys], value, ClientId: session + 1, Sequence: sequence));
                    }
                    results.Clear();
                    machine.ApplyBatch(batch, results);
                }
            }
            ApplyRound(); // unmeasured: JIT, the store's first pages
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"apply CPU: {rounds} rounds of {PutsPerRound:N0} session puts, batches of {BatchSize}, {Keys:N0} keys");
            for (var round = 1; round <= rounds; round++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var wall = Stopwatch.StartNew();
                ApplyRound();
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                Console.WriteLine($"round {round}: CPU {cpu.TotalNanoseconds / PutsPerRound:F0} ns/put, wall {wall.Elapsed.TotalNanoseconds / PutsPerRound:F0} ns/put, "
                    + $"allocated {(double)allocated / PutsPerRound:F2} B/put");
            }
        }
        finally
        {
            BenchData.Delete(directory);
        }
    }
}
