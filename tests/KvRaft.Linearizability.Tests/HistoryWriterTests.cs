// Goal: what HistoryWriter writes, HistoryReader reads back unchanged, one line per operation in call order; method: round trip of every kind and status.
using System.Text;
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class HistoryWriterTests
{
    [Fact]
    public void Every_kind_and_status_survives_a_round_trip_in_call_order()
    {
        Operation[] operations =
        [
            new(2, OperationKind.Append, "k\u00e9", "x\"y", null, null, 30, 40, OperationStatus.Unknown),
            new(1, OperationKind.Put, "k1", "v-1-1", null, null, 10, 20, OperationStatus.Completed),
            new(3, OperationKind.Get, "k1", null, null, "v-1-1", 11, 21, OperationStatus.Completed),
            new(4, OperationKind.Delete, "k1", null, null, null, 12, 22, OperationStatus.Failed),
            new(5, OperationKind.Cas, "k1", "v-5-1", "", "false", 13, 23, OperationStatus.Completed),
        ];
        using var stream = new MemoryStream();
        HistoryWriter.Write(stream, operations);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        List<Operation> read = [.. HistoryReader.Read(new StringReader(text))];
        Assert.Equal(5, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(operations.OrderBy(o => o.CallNanoseconds), read.Select(o => o with { Line = 0 }));
    }
}
