// Goal: measure the codecs on the hot paths (Append with 64 entries, heartbeat, client Put, a 100-command batch, whole client request and response frames) and check they allocate nothing; method: BenchmarkDotNet with MemoryDiagnoser.
// Run: dotnet run -c Release --project bench/KvRaft.Protocol.Benchmarks -- --filter '*' --job short
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using KvRaft.Protocol;

BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args);

/// <summary>Format and parse costs of the hot-path codecs.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[1 << 20];
    private PeerMessage _append;
    private PeerMessage _heartbeat;
    private ClientRequest _put;
    private KvCommand[] _commands = [];
    private byte[] _appendBytes = [];
    private byte[] _heartbeatBytes = [];
    private byte[] _putBytes = [];
    private byte[] _batchBytes = [];
    private ClientResponse _getResponse;
    private byte[] _putFrame = [];
    private byte[] _getResponseFrame = [];
    private byte[] _appendFrame = [];

    /// <summary>Builds the messages and their encodings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var entries = Enumerable.Range(1000, 64).Select(i => new WireEntry(i, 7, EntryType.Normal, new byte[100])).ToArray();
        _append = new PeerMessage { Type = PeerMessageType.Append, From = 1, To = 2, Term = 7, Index = 999, LogTerm = 7, Commit = 990, Entries = EntryList.From(entries) };
        _heartbeat = new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = 7, Commit = 990 };
        _put = new ClientRequest { RequestId = 42, Op = ClientOp.Put, ClientId = 5, Sequence = 77, Key = new byte[16], Value = new byte[100] };
        _commands = Enumerable.Range(0, 100).Select(i => _put.ToCommand() with { Sequence = (ulong)i }).ToArray();
        _appendBytes = _buffer.AsSpan(0, PeerMessageCodec.Format(_append, _buffer)).ToArray();
        _heartbeatBytes = _buffer.AsSpan(0, PeerMessageCodec.Format(_heartbeat, _buffer)).ToArray();
        _putBytes = _buffer.AsSpan(0, ClientRequestCodec.Format(_put, _buffer)).ToArray();
        _batchBytes = _buffer.AsSpan(0, KvCommandBatchCodec.Format(_commands, _buffer)).ToArray();
        _getResponse = new ClientResponse { RequestId = 42, Op = ClientOp.Get, Status = ClientStatus.Ok, Value = new byte[100], ValuePresent = true };
        _putFrame = _buffer.AsSpan(0, ClientRequestCodec.FormatFrame(_put, _buffer)).ToArray();
        _getResponseFrame = _buffer.AsSpan(0, ClientResponseCodec.FormatFrame(_getResponse, _buffer)).ToArray();
        _appendFrame = _buffer.AsSpan(0, PeerMessageCodec.FormatFrame(_append, _buffer)).ToArray();
    }

    /// <summary>Formats an Append of 64 entries of 100 bytes (8.8 KB).</summary>
    [Benchmark]
    public int FormatAppend64() => PeerMessageCodec.Format(_append, _buffer);

    /// <summary>Parses that Append and enumerates its entries.</summary>
    [Benchmark]
    public long ParseAppend64()
    {
        PeerMessageCodec.Parse(_appendBytes, out var message);
        long sum = 0;
        foreach (var entry in message.Entries)
        {
            sum += entry.Index + entry.Data.Length;
        }
        return sum;
    }

    /// <summary>Formats a heartbeat (58 bytes).</summary>
    [Benchmark]
    public int FormatHeartbeat() => PeerMessageCodec.Format(_heartbeat, _buffer);

    /// <summary>Parses a heartbeat.</summary>
    [Benchmark]
    public long ParseHeartbeat()
    {
        PeerMessageCodec.Parse(_heartbeatBytes, out var message);
        return message.Commit;
    }

    /// <summary>Formats a client Put (16-byte key, 100-byte value).</summary>
    [Benchmark]
    public int FormatPut() => ClientRequestCodec.Format(_put, _buffer);

    /// <summary>Parses that Put.</summary>
    [Benchmark]
    public int ParsePut()
    {
        ClientRequestCodec.Parse(_putBytes, out var request);
        return request.Value.Length;
    }

    /// <summary>Formats a batch of 100 such Puts as one log entry payload.</summary>
    [Benchmark]
    public int FormatBatch100() => KvCommandBatchCodec.Format(_commands, _buffer);

    /// <summary>Parses (validates) that batch and enumerates it.</summary>
    [Benchmark]
    public long ParseBatch100()
    {
        KvCommandBatchCodec.Parse(_batchBytes, out var batch);
        long sum = 0;
        foreach (var command in batch)
        {
            sum += (long)command.Sequence;
        }
        return sum;
    }

    /// <summary>Formats a whole client Put frame (header and body), as the client does.</summary>
    [Benchmark]
    public int FormatPutFrame() => ClientRequestCodec.FormatFrame(_put, _buffer);

    /// <summary>Splits that frame from a received buffer and parses its body, as the server does.</summary>
    [Benchmark]
    public int DecodePutFrame()
    {
        var frame = FrameDecoder.Decode(_putFrame);
        ClientRequestCodec.Parse(frame.Body(_putFrame.AsMemory()), out var request);
        return request.Value.Length;
    }

    /// <summary>Formats a whole Get response frame (100-byte value), as the server does.</summary>
    [Benchmark]
    public int FormatGetResponseFrame() => ClientResponseCodec.FormatFrame(_getResponse, _buffer);

    /// <summary>Splits that frame and parses its body, as the client does.</summary>
    [Benchmark]
    public int DecodeGetResponseFrame()
    {
        var frame = FrameDecoder.Decode(_getResponseFrame);
        ClientResponseCodec.Parse(frame.Body(_getResponseFrame.AsMemory()), out var response);
        return response.Value.Length;
    }

    /// <summary>Formats a whole Append frame (64 entries of 100 bytes).</summary>
    [Benchmark]
    public int FormatAppendFrame() => PeerMessageCodec.FormatFrame(_append, _buffer);

    /// <summary>Splits that frame, parses it and enumerates its entries.</summary>
    [Benchmark]
    public long DecodeAppendFrame()
    {
        var frame = FrameDecoder.Decode(_appendFrame);
        PeerMessageCodec.Parse(frame.Body(_appendFrame.AsMemory()), out var message);
        long sum = 0;
        foreach (var entry in message.Entries)
        {
            sum += entry.Index + entry.Data.Length;
        }
        return sum;
    }
}
