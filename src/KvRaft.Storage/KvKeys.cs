using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvRaft.Storage;

/// <summary>
/// The store's key space: the first byte names the space. 0x00 user keys, 0x01 client sessions
/// (then client id, 8 bytes big-endian), 0x02 metadata (applied position, configuration, shard states), 0x03 extension
/// records (<see cref="IExtensionRecords"/>: the shard controller's configurations).
/// </summary>
internal static class KvKeys
{
    public const byte UserSpace = 0;
    public const byte SessionSpace = 1;
    public const byte MetaSpace = 2;
    public const byte ExtensionSpace = 3;

    /// <summary>Bytes of a session key.</summary>
    public const int SessionKeyBytes = 9;

    /// <summary>Keys and small values up to this size are built on the stack; larger ones in a pooled buffer.</summary>
    public const int StackBytesMax = 256;

    public static readonly byte[] AppliedKey = [MetaSpace, 1];
    public static readonly byte[] ConfigurationKey = [MetaSpace, 2];
    public static readonly byte[] ShardStateKey = [MetaSpace, 3];

    /// <summary>The store key of user key <paramref name="key"/> (space byte, then the key), into <paramref name="destination"/>.</summary>
    public static ReadOnlySpan<byte> User(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Invariant.True(destination.Length >= key.Length + 1, destination.Length);
        destination[0] = UserSpace;
        key.CopyTo(destination[1..]);
        return destination[..(key.Length + 1)];
    }

    /// <summary>The store key of <paramref name="clientId"/>'s session, into <paramref name="destination"/>.</summary>
    public static ReadOnlySpan<byte> Session(long clientId, Span<byte> destination)
    {
        destination[0] = SessionSpace;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], clientId);
        return destination[..SessionKeyBytes];
    }

    public static long SessionClient(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key[1..]);
}

/// <summary>A buffer of a given size: <paramref name="stack"/> when it is large enough, else rented (dispose to return it).</summary>
internal ref struct ScratchBuffer
{
    private byte[]? _rented;

    public ScratchBuffer(int bytes, Span<byte> stack)
    {
        if (bytes <= stack.Length)
        {
            Span = stack[..bytes];
            return;
        }
        _rented = ArrayPool<byte>.Shared.Rent(bytes);
        Span = _rented.AsSpan(0, bytes);
    }

    public Span<byte> Span { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}

/// <summary>
/// A session's dedup state: last sequence (0 until its first write), log index of its last use, digest of its last
/// write's command (<see cref="CommandDigest"/>; 0 until its first write), last result, and the identity digest of
/// the client that registered it (0: not authenticated). Encoded as i64 last sequence, i64 last index, i64 last
/// digest, u8 status, u8 flags (bit 0: a value follows; bit 1: an i64 identity follows, before the value), [i64
/// identity], [value]. Records written before identities existed have flags 0 or 1 and read as identity 0.
/// </summary>
internal readonly record struct SessionState(long LastSequence, long LastIndex, long LastDigest, KvResult LastResult, long Identity = 0)
{
    private const byte ValueFlag = 1;
    private const byte IdentityFlag = 2;
    private const int FixedBytes = 24 + 2;

    public int EncodedBytes => FixedBytes + (Identity != 0 ? 8 : 0) + (LastResult.Value?.Length ?? 0);

    /// <summary>The largest encoding of a session whose last result holds at most <paramref name="valueBytesMax"/> bytes.</summary>
    public static int EncodedBytesMax(int valueBytesMax) => FixedBytes + 8 + valueBytesMax;

    /// <summary><see cref="Decode"/> for bytes from another group (a shard chunk): false instead of throwing.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out SessionState state)
    {
        state = default;
        if (bytes.Length < FixedBytes || !Enum.IsDefined((KvStatus)bytes[24]))
        {
            return false;
        }
        try
        {
            state = Decode(bytes);
            return state.LastSequence >= 0;
        }
        catch (StorageCorruptException)
        {
            return false;
        }
    }

    public ReadOnlySpan<byte> Encode(Span<byte> bytes)
    {
        var value = LastResult.Value;
        BinaryPrimitives.WriteInt64LittleEndian(bytes, LastSequence);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], LastIndex);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], LastDigest);
        bytes[24] = (byte)LastResult.Status;
        bytes[25] = (byte)((value is null ? 0 : ValueFlag) | (Identity != 0 ? IdentityFlag : 0));
        var at = FixedBytes;
        if (Identity != 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes[at..], Identity);
            at += 8;
        }
        value?.CopyTo(bytes[at..]);
        return bytes[..EncodedBytes];
    }

    public static SessionState Decode(ReadOnlySpan<byte> bytes)
    {
        var flags = bytes.Length >= FixedBytes ? bytes[25] : (byte)0xFF;
        if ((flags & ~(ValueFlag | IdentityFlag)) != 0 || ((flags & IdentityFlag) != 0 && bytes.Length < FixedBytes + 8))
        {
            throw new StorageCorruptException($"session record of {bytes.Length} bytes with flags {flags}: malformed");
        }
        var at = FixedBytes;
        long identity = 0;
        if ((flags & IdentityFlag) != 0)
        {
            identity = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
            at += 8;
        }
        return new SessionState(
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            new KvResult((KvStatus)bytes[24], (flags & ValueFlag) == 0 ? null : bytes[at..].ToArray()),
            identity);
    }
}

/// <summary>
/// A 64-bit digest of what a write asks (op, key, value, expected value or its absence), kept with a session's last
/// write so that a request reusing that sequence counts as a duplicate only if it asks the same. XXH3 with each
/// field hashed on its own, seeded by the hash so far, so field boundaries count; deterministic on every replica.
/// </summary>
internal static class CommandDigest
{
    private const long ExpectAbsentSeed = 0x5EED_AB5E_4E7D_0001;

    public static long Of(in KvCommand command)
    {
        var hash = XxHash3.HashToUInt64(command.Key.Span, (long)command.Op);
        hash = XxHash3.HashToUInt64(command.Value.Span, (long)hash);
        hash = command.Expected is { } expected
            ? XxHash3.HashToUInt64(expected.Span, (long)hash)
            : XxHash3.HashToUInt64(default, (long)hash ^ ExpectAbsentSeed);
        return (long)hash;
    }
}
