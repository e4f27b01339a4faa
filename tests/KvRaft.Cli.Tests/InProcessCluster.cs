// Goal: one real three-node cluster shared by the CLI command tests. Method: LocalCluster in in-process mode on free 127.0.0.1 ports, data in a temporary folder deleted afterwards.
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class InProcessCluster : IAsyncLifetime
{
    private readonly TempFolder _folder = new("kvraft-cli-tests");
    private LocalCluster.LocalCluster? _cluster;

    public LocalCluster.LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public string Endpoints => string.Join(',', Cluster.ClientEndpoints);

    public async Task InitializeAsync() =>
        _cluster = await LocalCluster.LocalCluster.StartAsync(3, _folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess));

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _folder.Dispose();
    }
}
