using System.CommandLine;
using System.Text;

namespace KvRaft.Cli;

/// <summary>get, put, append and delete.</summary>
internal static class KeyCommands
{
    private static Argument<string> Key() => new("KEY") { Description = "The key" };

    private static Argument<string> Value() => new("VALUE") { Description = "The value, or - to read it from standard input" };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static Command Get(ConnectionOptions connection)
    {
        var key = Key();
        var command = new Command("get", "Prints the value of KEY (exit code 1 when absent)") { key };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var value = await client.GetBytesAsync(Utf8(parse.GetValue(key)!), cancellationToken: cancellation).ConfigureAwait(false);
            if (value is null)
            {
                return await NotFoundAsync().ConfigureAwait(false);
            }

            await ValueInput.WriteLineAsync(value, cancellation).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Put(ConnectionOptions connection)
    {
        var key = Key();
        var value = Value();
        var command = new Command("put", "Sets KEY to VALUE") { key, value };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var bytes = await ValueInput.ReadAsync(parse.GetValue(value)!, cancellation).ConfigureAwait(false);
            await client.PutAsync(Utf8(parse.GetValue(key)!), bytes, cancellationToken: cancellation).ConfigureAwait(false);
            Console.WriteLine("OK");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Append(ConnectionOptions connection)
    {
        var key = Key();
        var value = Value();
        var command = new Command("append", "Appends VALUE to the value of KEY (creating it when absent)") { key, value };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var bytes = await ValueInput.ReadAsync(parse.GetValue(value)!, cancellation).ConfigureAwait(false);
            await client.AppendAsync(Utf8(parse.GetValue(key)!), bytes, cancellationToken: cancellation).ConfigureAwait(false);
            Console.WriteLine("OK");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Delete(ConnectionOptions connection)
    {
        var key = Key();
        var command = new Command("delete", "Removes KEY (exit code 1 when it was absent)") { key };
        command.SetAction(ClientAction.Of(connection, async (parse, client, cancellation) =>
        {
            var existed = await client.DeleteAsync(Utf8(parse.GetValue(key)!), cancellationToken: cancellation).ConfigureAwait(false);
            if (!existed)
            {
                return await NotFoundAsync().ConfigureAwait(false);
            }

            Console.WriteLine("deleted");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<int> NotFoundAsync()
    {
        await Console.Error.WriteLineAsync("kvraft: key not found").ConfigureAwait(false);
        return ExitCodes.NotFound;
    }
}
