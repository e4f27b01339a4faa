// Goal: the reader accepts the shared JSON Lines format and names the line of any malformed record; method: parse literal lines and files.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class HistoryReaderTests
{
    private const string FormatExample = """
        {"client": 3, "op": "put", "key": "k17", "value": "v-3-41", "call": 1732630000123456789, "return": 1732630000124456789, "ok": true}
        {"client": 5, "op": "get", "key": "k17", "output": "v-3-41", "call": 1732630000124500000, "return": 1732630000125100000, "ok": true}
        {"client": 2, "op": "append", "key": "k4", "value": "x", "call": 1732630000125000000, "return": 1732630000325000000, "ok": null}
        """;

    [Fact]
    public void FormatDocumentExample_ParsesToThreeOperations()
    {
        List<Operation> operations = [.. HistoryReader.Read(new StringReader(FormatExample))];
        Assert.Equal(3, operations.Count);
        Assert.Equal(new Operation(3, OperationKind.Put, "k17", "v-3-41", null, null, 1732630000123456789, 1732630000124456789, OperationStatus.Completed) { Line = 1 }, operations[0]);
        Assert.Equal("v-3-41", operations[1].Output);
        Assert.Equal(OperationStatus.Unknown, operations[2].Status);
        Assert.Equal(3, operations[2].Line);
    }

    [Fact]
    public void UnknownOutcomeWithoutReturn_ReturnsAtInfinity() =>
        Assert.Equal(long.MaxValue, HistoryReader.ParseLine("""{"client":1,"op":"delete","key":"k","call":5,"ok":null}""").ReturnNanoseconds);

    [Fact]
    public void CasLine_ParsesExpectedValueAndOutput()
    {
        var cas = HistoryReader.ParseLine("""{"client":1,"op":"cas","key":"k","expected":"","value":"a","output":"true","call":1,"return":2,"ok":true}""");
        Assert.Equal((OperationKind.Cas, "", "a", "true"), (cas.Kind, cas.Expected, cas.Value, cas.Output));
    }

    [Fact]
    public void UnknownFieldsAndEscapes_AreHandled()
    {
        var put = HistoryReader.ParseLine("""{"client":1,"op":"put","key":"k\u00e9","value":"a\"b","call":1,"return":2,"ok":true,"extra":{"x":[1,2]}}""");
        Assert.Equal(("ké", "a\"b"), (put.Key, put.Value));
    }

    [Theory]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":1,"return":2,"ok":true""", "invalid JSON")]
    [InlineData("""{"client":1,"op":"get","key":"k","call":1,"return":2,"ok":true}""", "missing field \"output\"")]
    [InlineData("""{"client":1,"op":"put","key":"k","call":1,"return":2,"ok":true}""", "missing field \"value\"")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","return":2,"ok":true}""", "missing field \"call\"")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":1,"return":2}""", "missing field \"ok\"")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":1,"ok":true}""", "missing field \"return\"")]
    [InlineData("""{"client":1,"op":"scan","key":"k","call":1,"return":2,"ok":true}""", "unknown op \"scan\"")]
    [InlineData("""{"client":"1","op":"get","key":"k","output":"","call":1,"return":2,"ok":true}""", "\"client\" must be an integer")]
    [InlineData("""{"client":1,"op":"get","key":7,"output":"","call":1,"return":2,"ok":true}""", "\"key\" must be a string")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":1,"return":2,"ok":"yes"}""", "\"ok\" must be true, false or null")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":9,"return":2,"ok":true}""", "before call")]
    [InlineData("""{"client":1,"op":"cas","key":"k","expected":"a","value":"b","output":"maybe","call":1,"return":2,"ok":true}""", "\"true\" or \"false\"")]
    [InlineData("""{"client":1,"op":"get","key":"k","output":"","call":1,"return":2,"ok":true} {}""", "invalid JSON")]
    [InlineData("""[1, 2]""", "expected one JSON object")]
    public void MalformedLine_IsAnErrorNamingTheLineAndTheReason(string line, string reason)
    {
        var text = FormatExample + "\n\n" + line + "\n";
        var error = Assert.Throws<HistoryFormatException>(() => HistoryReader.Read(new StringReader(text)).ToList());
        Assert.Equal(5, error.Line);
        Assert.StartsWith("history line 5: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFile_ReadsAndChecksAFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, FormatExample);
            var result = HistoryChecker.CheckFile(path);
            Assert.True(result.IsLinearizable, result.Describe());
            Assert.Equal(3, result.OperationCount);
            Assert.Equal(["k17", "k4"], result.Keys.Select(k => k.Key));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
