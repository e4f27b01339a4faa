// Goal (shared by the test projects that fuzz decoders of remote or stored bytes): seeded mutations of a valid encoding,
// so that a fuzz test replays with its printed seed.
namespace KvRaft.Testing;

/// <summary>Seeded mutations of an encoded record: flipped bits, overwritten bytes and 32-bit words (lengths), cuts, insertions, removals.</summary>
internal static class ByteMutations
{
    /// <summary>One to three mutations of <paramref name="original"/> (which is not changed), drawn from <paramref name="random"/>.</summary>
    public static byte[] Apply(byte[] original, Random random)
    {
        var bytes = original.ToList();
        for (var count = random.Next(1, 4); count > 0 && bytes.Count > 0; count--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    bytes.RemoveAt(at);
                    break;
                default:
                    var word = BitConverter.GetBytes(random.Next(3) switch { 0 => -1, 1 => int.MaxValue, _ => random.Next(-4, 70_000) });
                    for (var i = 0; i < 4 && at + i < bytes.Count; i++)
                    {
                        bytes[at + i] = word[i];
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}
