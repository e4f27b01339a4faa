using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.LocalCluster;

/// <summary>Accepting and copying: one task per connection, two pumps (one per direction) inside it.</summary>
public sealed partial class LinkRelay
{
    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return; // disposed
            }
            if (!TryAdd(accepted))
            {
                accepted.Dispose();
                Interlocked.Increment(ref _refused);
            }
        }
    }

    /// <summary>Starts relaying <paramref name="accepted"/> unless the link is cut both ways or full (decided under the lock that a cut closes under).</summary>
    private bool TryAdd(Socket accepted)
    {
        lock (_lock)
        {
            if ((_forwardCut && _backwardCut) || _connections.Count >= _options.ConnectionsMax)
            {
                return false;
            }

            var connection = new RelayedConnection(accepted, new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            Configure(connection.Inbound);
            Configure(connection.Outbound);
            _connections.Add(connection);
            Interlocked.Increment(ref _accepted);
            connection.Run = Task.Run(() => RunAsync(connection)); // RunAsync removes it under this lock: not before it is added
            return true;
        }
    }

    private void Configure(Socket socket)
    {
        socket.NoDelay = true;
        if (_options.SocketBufferBytes is { } bytes)
        {
            socket.SendBufferSize = bytes;
            socket.ReceiveBufferSize = bytes;
        }
    }

    private async Task RunAsync(RelayedConnection connection)
    {
        try
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(connection.Closing))
            {
                deadline.CancelAfter(_options.ConnectTimeout);
                await connection.Outbound.ConnectAsync(_target, deadline.Token).ConfigureAwait(false);
            }
            var forward = PumpAsync(connection.Inbound, connection.Outbound, forward: true, connection.Closing);
            var backward = PumpAsync(connection.Outbound, connection.Inbound, forward: false, connection.Closing);
            await Task.WhenAny(forward, backward).ConfigureAwait(false);
            connection.Close(); // one side is gone: so is the connection
            await Task.WhenAll(forward, backward).ConfigureAwait(false);
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The target is down or slow, or the connection was closed by a cut or a disposal.
        }
        finally
        {
            connection.Dispose();
            lock (_lock)
            {
                _connections.Remove(connection);
            }
        }
    }

    /// <summary>Copies one direction, dropping frames as <see cref="Drops"/> decides and waiting as <see cref="NextDelayMilliseconds"/> says, until either side closes.</summary>
    private async Task PumpAsync(Socket source, Socket destination, bool forward, CancellationToken closing)
    {
        var cursor = new FrameCursor(type => Drops(type, forward));
        var input = new byte[_options.BufferBytes];
        var output = new byte[_options.BufferBytes + FrameHeader.Bytes];
        try
        {
            while (true)
            {
                var read = await source.ReceiveAsync(input, SocketFlags.None, closing).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                if (NextDelayMilliseconds() is int delay and > 0)
                {
                    await Task.Delay(delay, closing).ConfigureAwait(false); // a slow link: what arrives meanwhile waits
                }

                var written = cursor.Advance(input.AsSpan(0, read), output);
                await SendAllAsync(destination, output.AsMemory(0, written), closing).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
            // Either side closed, a cut or a disposal closed the connection, or the stream was not frames.
        }
    }

    /// <summary>Writes every byte; a write the other side is not reading fast enough for is counted in <see cref="WritesWaiting"/> while it waits.</summary>
    private async Task SendAllAsync(Socket destination, ReadOnlyMemory<byte> bytes, CancellationToken closing)
    {
        while (!bytes.IsEmpty)
        {
            var sending = destination.SendAsync(bytes, SocketFlags.None, closing);
            if (sending.IsCompleted)
            {
                bytes = bytes[sending.Result..];
                continue;
            }
            Interlocked.Increment(ref _writesWaiting);
            try
            {
                bytes = bytes[await sending.ConfigureAwait(false)..];
            }
            finally
            {
                Interlocked.Decrement(ref _writesWaiting);
            }
        }
    }

    /// <summary>The two sockets of one relayed connection and what closes them.</summary>
    private sealed class RelayedConnection(Socket inbound, Socket outbound) : IDisposable
    {
        private readonly CancellationTokenSource _closing = new();
        private int _closed;

        public Socket Inbound { get; } = inbound;

        public Socket Outbound { get; } = outbound;

        public CancellationToken Closing => _closing.Token;

        public Task Run { get; set; } = Task.CompletedTask;

        /// <summary>Closes both sockets (idempotent, any thread).</summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: nothing left to cancel.
            }
            Inbound.Dispose();
            Outbound.Dispose();
        }

        public void Dispose()
        {
            Close();
            _closing.Dispose();
        }
    }
}
