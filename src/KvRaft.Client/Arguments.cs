using System.Buffers;
using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Client;

/// <summary>Client-side checks against <see cref="ProtocolLimits"/>, before anything is sent.</summary>
internal static class Arguments
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ReadOnlyMemory<byte> Key(ReadOnlyMemory<byte> key)
    {
        if (key.IsEmpty)
        {
            throw new KvInvalidArgumentException("the key is empty");
        }
        if (key.Length > ProtocolLimits.KeyBytesMax)
        {
            throw new KvTooLargeException($"the key has {key.Length} bytes; at most {ProtocolLimits.KeyBytesMax} are allowed (ProtocolLimits.KeyBytesMax)");
        }
        return key;
    }

    public static ReadOnlyMemory<byte> Value(ReadOnlyMemory<byte> value, string name = "value")
    {
        if (value.Length > ProtocolLimits.ValueBytesMax)
        {
            throw new KvTooLargeException($"the {name} has {value.Length} bytes; at most {ProtocolLimits.ValueBytesMax} are allowed (ProtocolLimits.ValueBytesMax)");
        }
        return value;
    }

    public static byte[] Utf8(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        var bytes = new byte[ByteCount(text, name)];
        Strict.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>
    /// The UTF-8 forms of <paramref name="key"/> then <paramref name="value"/> in one array from <see cref="ArrayPool{T}.Shared"/>
    /// (<paramref name="keyBytes"/> then <paramref name="valueBytes"/> bytes); the caller returns it. Throws as <see cref="Utf8"/>.
    /// </summary>
    public static byte[] Utf8Pooled(string key, string keyName, string value, string valueName, out int keyBytes, out int valueBytes)
    {
        ArgumentNullException.ThrowIfNull(key, keyName);
        ArgumentNullException.ThrowIfNull(value, valueName);
        var buffer = ArrayPool<byte>.Shared.Rent(ByteCount(key, keyName) + ByteCount(value, valueName));
        keyBytes = Strict.GetBytes(key, buffer);
        valueBytes = Strict.GetBytes(value, buffer.AsSpan(keyBytes));
        return buffer;
    }

    private static int ByteCount(string text, string name)
    {
        try
        {
            return Strict.GetByteCount(text);
        }
        catch (EncoderFallbackException invalid)
        {
            throw new KvInvalidArgumentException($"the {name} is not valid UTF-16 text", invalid);
        }
    }

    public static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
