using System.CommandLine;
using System.Text;
using KvRaft.Client;

namespace KvRaft.Cli;

/// <summary>cas KEY EXPECTED NEW, or cas KEY --absent NEW.</summary>
internal static class CasCommand
{
    public static Command Create(ConnectionOptions connection)
    {
        var key = new Argument<string>("KEY") { Description = "The key" };
        var values = new Argument<string[]>("EXPECTED NEW")
        {
            Description = "The value KEY must hold, then the value to set (with --absent: only the value to set); - reads standard input",
            Arity = new ArgumentArity(1, 2),
        };
        var absent = new Option<bool>("--absent") { Description = "Swap only if KEY is absent" };
        var command = new Command("cas", "Sets KEY to NEW only if it holds EXPECTED (exit code 1 when it did not swap)") { key, values, absent };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var given = parse.GetValue(values)!;
            var expectAbsent = parse.GetValue(absent);
            if (given.Length != (expectAbsent ? 1 : 2))
            {
                throw new UsageException(expectAbsent ? "cas KEY --absent NEW takes one value" : "cas KEY EXPECTED NEW takes two values (or --absent and one)");
            }

            if (given.Count(v => v == ValueInput.StandardInput) > 1)
            {
                throw new UsageException("only one value can be read from standard input");
            }

            ReadOnlyMemory<byte>? expected = null;
            if (!expectAbsent)
            {
                expected = await ValueInput.ReadAsync(given[0], cancellation).ConfigureAwait(false);
            }

            var newValue = await ValueInput.ReadAsync(given[^1], cancellation).ConfigureAwait(false);
            var result = await client.CompareAndSetAsync(Encoding.UTF8.GetBytes(parse.GetValue(key)!), expected, newValue, cancellationToken: cancellation).ConfigureAwait(false);
            return Report(result);
        }));
        return command;
    }

    private static int Report(CasBytesResult result)
    {
        if (result.Swapped)
        {
            Console.WriteLine("swapped");
            return ExitCodes.Ok;
        }
        Console.WriteLine(result.Current is { } current ? "not swapped; current value: " + Encoding.UTF8.GetString(current) : "not swapped; the key is absent");
        return ExitCodes.NotFound;
    }
}
