using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace KvRaft.Transport;

/// <summary>
/// The 64-bit digest that names a client identity in the log (KvCommand.Identity): XXH3 of its verified certificate's
/// names, sorted (ordinal) and each length-prefixed, so the order a certificate lists them in does not matter and no
/// two lists of names share an encoding. 0 means "not authenticated" (the client port does not require client
/// certificates); a digest that happens to be 0 is taken as 1.
/// </summary>
public static class ClientIdentity
{
    /// <summary>The identity of a connection without a verified client certificate.</summary>
    public const ulong None = 0;

    /// <summary>The digest of <paramref name="names"/> (null: <see cref="None"/>).</summary>
    public static ulong Of(IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return None;
        }
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        var hash = new XxHash3();
        Span<byte> length = stackalloc byte[4];
        foreach (var name in sorted)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.Append(length);
            hash.Append(bytes);
        }
        var digest = hash.GetCurrentHashAsUInt64();
        return digest == None ? 1 : digest;
    }
}
