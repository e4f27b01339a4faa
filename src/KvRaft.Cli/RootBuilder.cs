using System.CommandLine;

namespace KvRaft.Cli;

/// <summary>Builds kvraft's command tree.</summary>
internal static class RootBuilder
{
    public static RootCommand Create()
    {
        var connection = new ConnectionOptions();
        var root = new RootCommand("kvraft: a client and tools for a KvRaft cluster")
        {
            KeyCommands.Get(connection),
            KeyCommands.Put(connection),
            KeyCommands.Append(connection),
            KeyCommands.Delete(connection),
            CasCommand.Create(connection),
            StatusCommand.Create(connection),
            LeaderCommand.Create(connection),
            MemberCommand.Create(connection),
            ShardCommand.CreateShard(connection),
            ShardCommand.CreateGroup(connection),
            ClusterCommand.Create(),
            CertsCommand.Create(),
            ServeCommand.Create(),
        };
        root.Options.Add(connection.Endpoints);
        root.Options.Add(connection.Timeout);
        root.Options.Add(connection.CaCertificate);
        root.Options.Add(connection.Certificate);
        root.Options.Add(connection.Key);
        return root;
    }
}
