// Goal: draw keys uniformly or with a Zipfian skew (hot keys), as 16-byte names.
namespace KvRaft.Loadgen;

/// <summary>How keys are drawn.</summary>
public enum KeyDistribution
{
    /// <summary>Every key equally likely.</summary>
    Uniform,
    /// <summary>Zipf with exponent 0.99 (YCSB's default): a few hot keys.</summary>
    Zipfian,
}

/// <summary>Draws key indexes; <see cref="Name"/> turns one into its 16-byte key.</summary>
public sealed class KeyChooser
{
    private const double ZipfExponent = 0.99;
    private const int NamesCachedMax = 1 << 20;
    private readonly double[]? _cumulative;
    private readonly string?[]? _names;
    private readonly byte[]?[]? _nameBytes;

    /// <summary>Creates a chooser over <paramref name="keyCount"/> keys.</summary>
    public KeyChooser(int keyCount, KeyDistribution distribution)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keyCount, 1);
        KeyCount = keyCount;
        if (distribution == KeyDistribution.Zipfian)
        {
            _cumulative = ZipfCumulative(keyCount);
        }

        if (keyCount <= NamesCachedMax)
        {
            _names = new string?[keyCount];
            _nameBytes = new byte[]?[keyCount];
        }
    }

    /// <summary>Number of keys.</summary>
    public int KeyCount { get; }

    /// <summary>The key of index <paramref name="index"/>: "k" and 15 digits (16 bytes).</summary>
    public static string Name(int index) => $"k{index:D15}";

    /// <summary><see cref="Name"/>, made once per key when the key count is small enough to keep every name.</summary>
    public string NameOf(int index)
    {
        if (_names is null)
        {
            return Name(index);
        }
        // Clients race benignly: at worst two of them make the same name once.
        return Volatile.Read(ref _names[index]) ?? Interlocked.CompareExchange(ref _names[index], Name(index), null) ?? _names[index]!;
    }

    /// <summary>The UTF-8 bytes of <see cref="Name"/>, made once per key as <see cref="NameOf"/> is.</summary>
    public byte[] NameBytesOf(int index)
    {
        if (_nameBytes is null)
        {
            return System.Text.Encoding.UTF8.GetBytes(Name(index));
        }
        return Volatile.Read(ref _nameBytes[index]) ?? Interlocked.CompareExchange(ref _nameBytes[index], System.Text.Encoding.UTF8.GetBytes(Name(index)), null) ?? _nameBytes[index]!;
    }

    /// <summary>Draws a key index.</summary>
    public int Next(Random random)
    {
        if (_cumulative is null)
        {
            return random.Next(KeyCount);
        }

        var found = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(found < 0 ? ~found : found, KeyCount - 1);
    }

    private static double[] ZipfCumulative(int keyCount)
    {
        var cumulative = new double[keyCount];
        double sum = 0;
        for (var i = 0; i < keyCount; i++)
        {
            sum += 1 / Math.Pow(i + 1, ZipfExponent);
            cumulative[i] = sum;
        }
        for (var i = 0; i < keyCount; i++)
        {
            cumulative[i] /= sum;
        }

        return cumulative;
    }
}
