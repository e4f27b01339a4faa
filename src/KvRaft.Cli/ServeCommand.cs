using System.CommandLine;
using System.CommandLine.Help;
using KvRaft.Server.Hosting;

namespace KvRaft.Cli;

/// <summary>serve: runs one node, with exactly the options of kvraft-server.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var server = ServerCommand.Create(KvRaft.Server.Hosting.Program.RunAsync);
        var command = new Command("serve", "Runs one node of a cluster until Ctrl-C or SIGTERM (the options of kvraft-server)");
        foreach (var option in server.Options.Where(option => option is not (HelpOption or VersionOption)))
        {
            command.Options.Add(option);
        }

        command.Action = server.Action;
        return command;
    }
}
