// Goal: properties over generated inputs (random cluster schedules stay safe; log stores match a List model); method: CsCheck generators driven by fixed-seed PCGs.
using CsCheck;
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class PropertyTests
{
    /// <summary>Runs <paramref name="check"/> on <paramref name="cases"/> values, case i drawn from PCG seed <paramref name="seed"/> + i.</summary>
    private static void ForAll<T>(Gen<T> gen, ulong seed, int cases, Action<T> check)
    {
        // KVRAFT_PROPERTY_CASES widens a bug hunt; the default run is fixed.
        if (int.TryParse(Environment.GetEnvironmentVariable("KVRAFT_PROPERTY_CASES"), out var wider))
        {
            cases = wider;
        }

        for (var i = 0; i < cases; i++)
        {
            var value = gen.Generate(new PCG(1, seed + (ulong)i), null, out _);
            try
            {
                check(value);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"case {i} (PCG seed {seed + (ulong)i}, input {value}) failed: {e}");
            }
        }
    }

    private sealed record Schedule(ulong Seed, int Size, double Loss, int Delay, bool Reorder, double Duplicate);

    [Fact]
    public void RandomFaultSchedules_NeverFailAnInvariant_AndKeepAppliedLogsConsistent()
    {
        var gen =
            from seed in Gen.ULong
            from size in Gen.Int[3, 5]
            from loss in Gen.Double[0, 0.2]
            from delay in Gen.Int[0, 3]
            from reorder in Gen.Bool
            from duplicate in Gen.Double[0, 0.1]
            select new Schedule(seed, size, loss, delay, reorder, duplicate);
        ForAll(gen, 9_001, 16, RunSchedule);
    }

    private static void RunSchedule(Schedule schedule)
    {
        var net = new TestNetwork(schedule.Size, schedule.Seed)
        {
            LossRate = schedule.Loss,
            MaxDelayTicks = schedule.Delay,
            Reorder = schedule.Reorder,
            DuplicateRate = schedule.Duplicate,
            Record = false,
        };
        var random = new Prng(schedule.Seed ^ 0x5eed);
        var ids = net.Ids;
        var faulty = new HashSet<int>(); // isolated or crashed: a minority, except now and then
        var value = 0;
        for (var step = 0; step < 300; step++)
        {
            var id = ids[random.Next(ids.Length)];
            var action = random.Next(10);
            if (action <= 2 && !faulty.Contains(id) && faulty.Count >= (ids.Length - 1) / 2 && !random.Chance(0.05))
            {
                Repair(net, faulty, faulty.First());
            }
            switch (action)
            {
                case 0:
                    net.Isolate(id);
                    faulty.Add(id);
                    break;
                case 1:
                    if (net.IsUp(id))
                    {
                        net.Crash(id);
                    }

                    faulty.Add(id);
                    break;
                case 2:
                    if (net.IsUp(id))
                    {
                        net.Stall(id);
                    }

                    net.Tick();
                    if (net.IsUp(id))
                    {
                        net.Crash(id, sendEarlyMessages: true);
                    }

                    faulty.Add(id);
                    break;
                case 3:
                    if (faulty.Count > 0)
                    {
                        Repair(net, faulty, faulty.ElementAt(random.Next(faulty.Count)));
                    }

                    break;
                case 4:
                    if (net.IsUp(id) && net.Node(id).Role == Role.Leader)
                    {
                        net.Node(id).TransferLeadership(ids[random.Next(ids.Length)]);
                    }

                    break;
                case 5:
                    if (net.IsUp(id))
                    {
                        net.Node(id).ReadIndex(step + 1);
                    }

                    break;
                case 6:
                    net.Compact(id, every: 5);
                    break;
                default:
                    foreach (var node in net.Live.Where(n => n.Role == Role.Leader))
                    {
                        net.Propose(node.Id, ++value, out _);
                    }

                    break;
            }
            net.ProcessAll();
            net.Tick(random.Next(4));
        }
        net.Heal();
        net.LossRate = 0;
        net.DuplicateRate = 0;
        net.MaxDelayTicks = 0;
        foreach (var id in ids.Where(id => !net.IsUp(id)))
        {
            net.Restart(id);
        }

        net.One(-1, ids.Length);
        net.CheckAppliedPrefixes();
    }

    private static void Repair(TestNetwork net, HashSet<int> faulty, int id)
    {
        if (!net.IsUp(id))
        {
            net.Restart(id);
        }

        net.Connect(id);
        faulty.Remove(id);
    }

    private sealed record StoreOp(int Kind, int A, int B);

    [Fact]
    public void MemoryStorage_AppendTruncateCompact_MatchesAListModel()
    {
        var gen = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1000], Gen.Int[1, 6], (k, a, b) => new StoreOp(k, a, b)).Array[1, 60];
        ForAll(gen, 7_001, 200, ops =>
        {
            var storage = new MemoryStorage(new[] { 1 });
            long offset = 0; // the model: terms[i] is the term of index offset + i; terms[0] is the boundary
            long snapshot = 0;
            var terms = new List<long> { 0 };
            long term = 1;
            foreach (var op in ops)
            {
                var last = offset + terms.Count - 1;
                if (op.Kind <= 1)
                {
                    var floor = Math.Max(offset, snapshot); // a host never truncates below its snapshot
                    var first = floor + 1 + op.A % (last - floor + 1);
                    term += op.Kind;
                    var entries = Enumerable.Range(0, op.B).Select(i => Data.E(first + i, term)).ToList();
                    storage.Append(entries);
                    terms.RemoveRange((int)(first - offset), terms.Count - (int)(first - offset));
                    terms.AddRange(entries.Select(e => e.Term));
                }
                else if (op.Kind == 2 && last > Math.Max(offset, snapshot))
                {
                    // A snapshot keeps the log; the log above it can still be replaced.
                    snapshot = snapshot + 1 + op.A % (last - Math.Max(offset, snapshot));
                    if (snapshot <= offset)
                    {
                        snapshot = offset + 1;
                    }

                    storage.CreateSnapshot(snapshot, new ConfigState(new[] { 1 }));
                    Assert.Equal(terms[(int)(snapshot - offset)], storage.Snapshot.Term);
                }
                else if (op.Kind == 3 && snapshot > offset)
                {
                    var index = offset + 1 + op.A % (snapshot - offset); // never past the snapshot
                    storage.Compact(index);
                    terms.RemoveRange(0, (int)(index - offset));
                    offset = index;
                }
                Assert.Equal(offset + 1, storage.FirstIndex);
                Assert.Equal(offset + terms.Count - 1, storage.LastIndex);
                for (var i = offset - 1; i <= storage.LastIndex + 1; i++)
                {
                    var known = i >= offset && i <= storage.LastIndex;
                    Assert.Equal(known, storage.TryGetTerm(i, out var t));
                    if (known)
                    {
                        Assert.Equal(terms[(int)(i - offset)], t);
                    }
                }
                if (storage.LastIndex >= storage.FirstIndex)
                {
                    var into = new List<Entry>();
                    storage.GetEntries(storage.FirstIndex, storage.LastIndex + 1, op.A, into);
                    Assert.True(into.Count >= 1 && into.Sum(e => e.SizeBytes) <= Math.Max(op.A, into[0].SizeBytes));
                    Assert.Equal(Enumerable.Range(0, into.Count).Select(i => storage.FirstIndex + i), into.Select(e => e.Index));
                }
            }
        });
    }

    [Fact]
    public void UnstableLog_TruncateAppendAndStableTo_MatchesAListModel()
    {
        var gen = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1000], Gen.Int[1, 6], (k, a, b) => new StoreOp(k, a, b)).Array[1, 60];
        ForAll(gen, 8_001, 200, ops =>
        {
            var unstable = new UnstableLog(1);
            long offset = 1;
            var terms = new List<long>(); // terms[i] is the term of index offset + i
            long term = 1;
            foreach (var op in ops)
            {
                var end = offset + terms.Count;
                if (op.Kind <= 1)
                {
                    // Anything from a little below the offset (a truncation into storage) to the end.
                    var after = Math.Max(1, end - op.A % (terms.Count + 4));
                    term += op.Kind;
                    var entries = Enumerable.Range(0, op.B).Select(i => Data.E(after + i, term)).ToArray();
                    unstable.TruncateAndAppend(entries, 0);
                    if (after <= offset)
                    {
                        offset = after;
                        terms.Clear();
                    }
                    else
                    {
                        terms.RemoveRange((int)(after - offset), terms.Count - (int)(after - offset));
                    }
                    terms.AddRange(entries.Select(e => e.Term));
                }
                else if (terms.Count > 0)
                {
                    var index = offset + op.A % terms.Count;
                    var stableTerm = op.B % 2 == 0 ? terms[(int)(index - offset)] : term + 1;
                    unstable.StableTo(index, stableTerm);
                    if (stableTerm == terms[(int)(index - offset)])
                    {
                        terms.RemoveRange(0, (int)(index + 1 - offset));
                        offset = index + 1;
                    }
                }
                Assert.Equal(offset, unstable.Offset);
                Assert.Equal(terms.Count, unstable.Count);
                for (var i = 0; i < terms.Count; i++)
                {
                    Assert.True(unstable.TryGetTerm(offset + i, out var t));
                    Assert.Equal(terms[i], t);
                }
                Assert.False(unstable.TryGetTerm(offset + terms.Count, out _));
            }
        });
    }

    [Fact]
    public void Inflights_AddFreeAndFreeFirstOne_MatchAQueueModel()
    {
        var gen = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1000], Gen.Int[1, 6], (k, a, b) => new StoreOp(k, a, b)).Array[1, 100];
        ForAll(gen, 6_001, 200, ops =>
        {
            var inflights = new Inflights(4, 300);
            var model = new Queue<(long Index, long Bytes)>();
            long next = 1;
            foreach (var op in ops)
            {
                switch (op.Kind)
                {
                    case 0 or 1 when !inflights.Full:
                        next += op.B;
                        inflights.Add(next, op.A % 200);
                        model.Enqueue((next, op.A % 200));
                        break;
                    case 2:
                        var upTo = next - op.A % 20;
                        inflights.FreeLessOrEqual(upTo);
                        while (model.Count > 0 && model.Peek().Index <= upTo)
                        {
                            model.Dequeue();
                        }

                        break;
                    case 3:
                        inflights.FreeFirstOne();
                        if (model.Count > 0)
                        {
                            model.Dequeue();
                        }

                        break;
                    case 4 when op.A % 10 == 0:
                        inflights.Reset();
                        model.Clear();
                        break;
                }
                Assert.Equal(model.Count, inflights.Count);
                Assert.Equal(model.Sum(m => m.Bytes), inflights.Bytes);
                Assert.Equal(model.Count == 4 || model.Sum(m => m.Bytes) >= 300, inflights.Full);
            }
        });
    }
}
