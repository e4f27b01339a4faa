// Goal: the listener's request body copies (one chunk for many requests, not one array each) keep every request's bytes intact while later requests are copied; method: many bodies copied through one arena, each compared with its original afterwards, and the arrays behind them counted.
using System.Runtime.InteropServices;

namespace KvRaft.Transport.Tests;

public sealed class RequestBodyArenaTests
{
    [Fact]
    public void Copies_keep_their_bytes_while_later_bodies_fill_the_same_and_new_chunks()
    {
        var arena = new RequestBodyArena();
        var random = new Random(7);
        var originals = new List<byte[]>();
        var copies = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; i < 1000; i++)
        {
            var body = new byte[random.Next(0, 200)];
            random.NextBytes(body);
            originals.Add(body);
            copies.Add(arena.Copy(body));
        }

        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < originals.Count; i++)
        {
            Assert.True(copies[i].Span.SequenceEqual(originals[i]), $"copy {i} changed after later copies");
            if (copies[i].Length > 0)
            {
                Assert.True(MemoryMarshal.TryGetArray(copies[i], out var segment));
                Assert.NotSame(originals[i], segment.Array);
                arrays.Add(segment.Array!);
            }
        }
        var totalBytes = originals.Sum(body => body.Length);
        Assert.InRange(arrays.Count, 1, totalBytes / (RequestBodyArena.ChunkBytes - RequestBodyArena.SharedBodyBytesMax) + 1);
    }

    [Fact]
    public void A_body_above_the_shared_size_gets_an_array_of_its_own()
    {
        var arena = new RequestBodyArena();
        var small = arena.Copy(new byte[10]);
        var large = new byte[RequestBodyArena.SharedBodyBytesMax + 1];
        large[^1] = 42;
        var copy = arena.Copy(large);

        Assert.True(MemoryMarshal.TryGetArray(copy, out var segment));
        Assert.Equal(large.Length, segment.Array!.Length);
        Assert.Equal(42, copy.Span[^1]);
        Assert.True(MemoryMarshal.TryGetArray(small, out var smallSegment));
        Assert.Equal(RequestBodyArena.ChunkBytes, smallSegment.Array!.Length);
    }
}
