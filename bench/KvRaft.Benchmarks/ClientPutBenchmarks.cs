// Goal: what the shipped client costs per put, above all the bytes it allocates (issue 14, point 2: loadgen drives the
// cluster through it). Method: KvClient against an in-process echo server on 127.0.0.1 that answers every request frame
// at once (Protocol codecs, one reused buffer each way, no allocation of its own in steady state, so the bytes counted
// are the client's); InFlight logical clients share Puts puts per invocation, each running its part back to back, through
// the bytes API and the text API. MemoryDiagnoser's "Allocated" is per put (OperationsPerInvoke = Puts); allocation
// counts do not depend on the machine's load, times do. Run: dotnet run -c Release --project bench/KvRaft.Benchmarks --
// --filter '*ClientPut*' (add --inProcess --warmupCount 2 --iterationCount 3 --invocationCount 4 --unrollFactor 1 for
// a quick run).
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using KvRaft.Client;
using KvRaft.Protocol;

namespace KvRaft.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class ClientPutBenchmarks
{
    // Many puts per invocation: each invocation starts its InFlight clients at once, and their first puts find no pooled
    // state machine (the runtime keeps one per thread and per core), a start-up cost shared by all the invocation's puts.
    private const int Puts = 8192;
    private EchoServer _server = null!;
    private KvClient _client = null!;
    private byte[][] _keys = null!;
    private string[] _keyTexts = null!;
    private readonly byte[] _value = new byte[100];
    private readonly string _valueText = new('v', 100);

    /// <summary>Logical clients with one put outstanding each (a divisor of <see cref="Puts"/>).</summary>
    [Params(1, 64)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = new EchoServer();
        _client = KvClient.ConnectAsync([_server.Endpoint]).GetAwaiter().GetResult();
        _keyTexts = [.. Enumerable.Range(0, InFlight).Select(i => $"k{i:D15}")];
        _keys = [.. _keyTexts.Select(Encoding.UTF8.GetBytes)];
        // Sessions registered and connection open before anything is measured.
        RunAsync(bytes: true).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
    }

    /// <summary>PutAsync(ReadOnlyMemory, ReadOnlyMemory): the client's own cost.</summary>
    [Benchmark(OperationsPerInvoke = Puts)]
    public Task PutBytes() => RunAsync(bytes: true);

    /// <summary>PutAsync(string, string): what loadgen called (each string encoded to UTF-8 per call).</summary>
    [Benchmark(OperationsPerInvoke = Puts)]
    public Task PutText() => RunAsync(bytes: false);

    private Task RunAsync(bool bytes)
    {
        var clients = new Task[InFlight];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = bytes ? PutBytesAsync(i) : PutTextAsync(i);
        }
        return Task.WhenAll(clients);
    }

    private async Task PutBytesAsync(int client)
    {
        for (var i = Puts / InFlight; i > 0; i--)
        {
            await _client.PutAsync(_keys[client], _value).ConfigureAwait(false);
        }
    }

    private async Task PutTextAsync(int client)
    {
        for (var i = Puts / InFlight; i > 0; i--)
        {
            await _client.PutAsync(_keyTexts[client], _valueText).ConfigureAwait(false);
        }
    }

    /// <summary>Answers every request frame at once: Ok, and a new client id to RegisterSession. One connection at a time is enough.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private ulong _nextClientId;

        public EchoServer()
        {
            _listener.Start();
            Endpoint = "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;
            _serving = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _serving.GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // stopped
            }
            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                await ServeConnectionAsync(socket).ConfigureAwait(false);
            }
        }

        private async Task ServeConnectionAsync(Socket socket)
        {
            var input = new byte[4 << 20];
            var output = new byte[4 << 20];
            var end = 0;
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(input.AsMemory(end), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    if (received == 0)
                    {
                        return;
                    }
                    end += received;
                    var (consumed, length) = Answer(input.AsMemory(0, end), output);
                    input.AsSpan(consumed, end - consumed).CopyTo(input);
                    end -= consumed;
                    for (var sent = 0; sent < length;)
                    {
                        sent += await socket.SendAsync(output.AsMemory(sent, length - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // the client went away
            }
        }

        /// <summary>Answers every whole frame of <paramref name="input"/> into <paramref name="output"/>: the bytes consumed and written.</summary>
        private (int Consumed, int Written) Answer(ReadOnlyMemory<byte> input, byte[] output)
        {
            int start = 0, written = 0;
            while (true)
            {
                var decoded = FrameDecoder.Decode(input.Span[start..]);
                if (decoded.Status != FrameDecodeStatus.Frame)
                {
                    if (decoded.Status == FrameDecodeStatus.Error)
                    {
                        throw new InvalidDataException("bad frame: " + decoded.Error);
                    }
                    return (start, written);
                }
                if (!ClientRequestCodec.Parse(decoded.Body(input.Slice(start, decoded.ConsumedBytes)), out var request).IsOk)
                {
                    throw new InvalidDataException("bad request");
                }
                start += decoded.ConsumedBytes;
                var response = new ClientResponse
                {
                    RequestId = request.RequestId,
                    Op = request.Op,
                    Status = ClientStatus.Ok,
                    ClientId = request.Op == ClientOp.RegisterSession ? ++_nextClientId : 0,
                };
                written += ClientResponseCodec.FormatFrame(response, output.AsSpan(written));
            }
        }
    }
}
