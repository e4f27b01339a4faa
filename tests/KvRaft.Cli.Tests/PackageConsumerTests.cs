// Goal: the KvRaft.Client package is complete and usable from outside the repository: it holds the client and the two assemblies it is built on (no server code) with their XML docs and symbols, its README and licence, and declares its one dependency; examples/PackageConsumer restores it from a local folder feed through its own nuget.config and runs against a real cluster. Method: one `dotnet pack` (PackedClient), the .nupkg read as a zip; the example built (packages restored into the test's tree, the machine's NuGet cache used read-only as a fallback, so nothing is downloaded) and run against a three-node LocalCluster of child processes, its lines asserted.
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class PackageConsumerTests(PackedClient package) : IClassFixture<PackedClient>
{
    [Fact]
    public void Package_holds_client_protocol_and_assertions_with_docs_and_symbols_and_nothing_else()
    {
        string[] expected = [.. from assembly in (string[])["KvRaft.Assertions", "KvRaft.Client", "KvRaft.Protocol"]
                                from extension in (string[])[".dll", ".pdb", ".xml"]
                                select $"lib/net10.0/{assembly}{extension}"];
        var entries = package.Entries();
        Assert.Equal(expected, entries.Where(entry => entry.StartsWith("lib/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("README.md", entries);
    }

    [Fact]
    public void Package_metadata_names_version_licence_readme_and_only_System_IO_Hashing_as_dependency()
    {
        var nuspec = package.ReadEntry("KvRaft.Client.nuspec");
        Assert.Contains("<id>KvRaft.Client</id>", nuspec, StringComparison.Ordinal);
        Assert.Contains($"<version>{package.Version}</version>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<tags>", nuspec, StringComparison.Ordinal);
        Assert.Single(nuspec.Split("<dependency ").Skip(1));
        Assert.Contains("<dependency id=\"System.IO.Hashing\"", nuspec, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_restores_the_package_from_the_local_feed_and_runs_every_operation_against_a_local_cluster()
    {
        var build = await Tool.DotnetAsync(
            ["build", package.ExampleFolder, "-c", "Release", "--disable-build-servers",
             "-p:KvRaftClientVersion=" + package.Version,
             "-p:RestorePackagesPath=" + Path.Combine(package.Tree, "packages"),
             "-p:RestoreFallbackFolders=" + MachinePackagesFolder()],
            PackedClient.BuildLimit, environment: PackedClient.BuildEnvironment, unset: PackedClient.InheritedBuildVariables());
        Assert.True(build.ExitCode == 0, $"example build failed:\n{build.Output}\n{build.Error}");
        Assert.True(Directory.Exists(Path.Combine(package.Tree, "packages", "kvraft.client", package.Version)), "the package was not restored from the local feed");

        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, Path.Combine(package.Tree, "cluster"), Bounded.ClusterOptions(LocalClusterMode.Processes));
        var run = await Tool.RunAsync(Path.Combine(package.ExampleFolder, "bin", "Release", "net10.0", "PackageConsumer.dll"), cluster.ClientEndpoints);

        Assert.True(run.ExitCode == 0, run.Error);
        var lines = run.Lines;
        Assert.StartsWith($"KvRaft.Client {package.Version}", lines[0], StringComparison.Ordinal);
        Assert.Equal(
            [
                "put example:greeting = hello",
                "append example:greeting += , world",
                "get example:greeting -> hello, world",
                "cas example:greeting hello -> bye: swapped False, value hello, world",
                "cas example:greeting hello, world -> bye: swapped True, value bye",
                "get example:bytes -> 010203",
                "delete example:greeting -> True",
                "delete example:greeting -> False",
                "get example:greeting -> (absent)",
            ],
            lines[1..^2]);
        Assert.Matches(@"^status 127\.0\.0\.1:\d+: node 1, (Leader|Follower), term \d+, applied \d+$", lines[^2]);
        Assert.Equal("Done.", lines[^1]);
    }

    /// <summary>The machine's NuGet cache (read-only here): every package the example needs besides KvRaft.Client is in it after the solution's restore.</summary>
    private static string MachinePackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
