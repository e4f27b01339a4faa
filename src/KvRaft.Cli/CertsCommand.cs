using System.CommandLine;
using KvRaft.LocalCluster;

namespace KvRaft.Cli;

/// <summary>certs create: a CA, node certificates and a client certificate as PEM files, for local use.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var directory = new Option<string>("--dir") { Description = "Where to write the PEM files (created; existing files are replaced)", Required = true };
        var nodes = new Option<int>("--nodes") { Description = "Node certificates to make (ids 1..N)", DefaultValueFactory = _ => 3 };
        var create = new Command("create", "Makes a CA, a certificate per node (naming kvraft-node-ID, localhost, 127.0.0.1) and a client certificate") { directory, nodes };
        create.SetAction(parse => Run(parse.GetValue(directory)!, parse.GetValue(nodes)));
        return new Command("certs", "Certificates for TLS trials on one machine") { create };
    }

    private static int Run(string directory, int nodeCount)
    {
        if (nodeCount is < 1 or > 7)
        {
            Console.Error.WriteLine("kvraft: --nodes must be 1 to 7");
            return ExitCodes.Usage;
        }
        CertificateFolder folder;
        try
        {
            folder = ClusterCertificates.Create(directory, nodeCount);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("kvraft: " + error.Message);
            return ExitCodes.Failed;
        }
        Console.WriteLine($"CA:     {folder.CaFile} (key {folder.CaKeyFile})");
        for (var id = 1; id <= nodeCount; id++)
        {
            Console.WriteLine($"node {id}: {folder.NodeCertificateFile(id)} (key {folder.NodeKeyFile(id)})");
        }

        Console.WriteLine($"client: {folder.ClientCertificateFile} (key {folder.ClientKeyFile})");
        return ExitCodes.Ok;
    }
}
