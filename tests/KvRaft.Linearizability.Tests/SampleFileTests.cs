// Goal: a loadgen-sized history file is read and checked end to end, and the time is printed; method: write a generated 60,000-operation history as JSON Lines to a temp file and check it with CheckFile.
using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace KvRaft.Linearizability.Tests;

public sealed class SampleFileTests(ITestOutputHelper output)
{
    [Fact]
    public void GeneratedHistoryFile_OfSixtyThousandOperationsOverFortyKeys_IsLinearizable()
    {
        var shape = new WorkloadShape(Clients: 12, OperationsPerClient: 5_000, Keys: 40, Seed: 99);
        var path = Path.Combine(Path.GetTempPath(), $"kvraft-history-{Environment.ProcessId}.jsonl");
        try
        {
            File.WriteAllLines(path, Workload.Generate(shape).Select(ToJson));
            var start = Stopwatch.GetTimestamp();
            var result = HistoryChecker.CheckFile(path);
            var elapsed = Stopwatch.GetElapsedTime(start);
            output.WriteLine($"{shape}: {new FileInfo(path).Length / 1024} KiB, read and checked in {elapsed.TotalMilliseconds:0} ms");
            output.WriteLine(result.Describe());
            Assert.True(result.IsLinearizable, result.Describe());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>One line of the shared format (as loadgen writes it).</summary>
    private static string ToJson(Operation operation)
    {
        var fields = new Dictionary<string, object?>
        {
            ["client"] = operation.Client,
            ["op"] = operation.Kind.ToString().ToLowerInvariant(),
            ["key"] = operation.Key,
            ["call"] = operation.CallNanoseconds,
            ["return"] = operation.ReturnNanoseconds,
            ["ok"] = operation.Status switch { OperationStatus.Completed => true, OperationStatus.Failed => false, _ => null },
        };
        AddIfPresent(fields, "value", operation.Value);
        AddIfPresent(fields, "expected", operation.Expected);
        AddIfPresent(fields, "output", operation.Output);
        return JsonSerializer.Serialize(fields);
    }

    private static void AddIfPresent(Dictionary<string, object?> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }
    }
}
