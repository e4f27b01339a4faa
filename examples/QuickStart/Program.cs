// Quick start: a three-node KvRaft cluster on 127.0.0.1 (child processes, data in a temporary folder),
// one put, one append and two reads through the client, then everything stopped and deleted.
using KvRaft.Client;
using KvRaft.LocalCluster;

var dataDirectory = Path.Combine(Path.GetTempPath(), "kvraft-quickstart-" + Guid.NewGuid().ToString("N"));
try
{
    Console.WriteLine("Starting a 3-node cluster ...");
    await using (var cluster = await LocalCluster.StartAsync(3, dataDirectory))
    {
        Console.WriteLine($"Cluster running on {string.Join(", ", cluster.ClientEndpoints)}");
        var client = cluster.Client;

        await client.PutAsync("k1", "v1");
        Console.WriteLine("put k1 = v1");
        Console.WriteLine($"get k1 -> {await client.GetAsync("k1")}");

        await client.AppendAsync("k1", "->v2");
        Console.WriteLine("append k1 += ->v2");
        Console.WriteLine($"get k1 -> {await client.GetAsync("k1")}");

        Console.WriteLine("Stopping the cluster ...");
    }
}
finally
{
    if (Directory.Exists(dataDirectory))
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
}
Console.WriteLine("Done.");
