using System.Text;

namespace KvRaft.Cli;

/// <summary>A VALUE argument: the text itself, or "-" for every byte of standard input.</summary>
internal static class ValueInput
{
    public const string StandardInput = "-";

    public static async Task<byte[]> ReadAsync(string argument, CancellationToken cancellation)
    {
        if (argument != StandardInput)
        {
            return Encoding.UTF8.GetBytes(argument);
        }

        using var input = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, cancellation).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Writes a value's bytes as they are, then a newline.</summary>
    public static async Task WriteLineAsync(byte[] value, CancellationToken cancellation)
    {
        using var output = Console.OpenStandardOutput();
        await output.WriteAsync(value, cancellation).ConfigureAwait(false);
        await output.WriteAsync("\n"u8.ToArray(), cancellation).ConfigureAwait(false);
        await output.FlushAsync(cancellation).ConfigureAwait(false);
    }
}
