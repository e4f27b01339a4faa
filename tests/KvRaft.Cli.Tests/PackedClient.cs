// Goal: the KvRaft.Client package as `dotnet pack` makes it, once for the tests that inspect and consume it. Method: pack src/KvRaft.Client under a fresh prerelease version (so that no copy of an earlier pack in a NuGet cache can stand in for it) into a feed folder of a temporary tree laid out like the repository (artifacts/packages, examples/PackageConsumer copied beside it, so the example's own nuget.config finds the feed), all build output inside that tree, no build server left running; the tree is deleted afterwards.
using System.IO.Compression;

namespace KvRaft.Cli.Tests;

public sealed class PackedClient : IAsyncLifetime
{
    /// <summary>The longest one pack or build may take (a cold build on the shared 2-core machine).</summary>
    public static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(5);

    private readonly TempFolder _tree = new("kvraft-package-test");

    /// <summary>The version this pack carries: unique per run.</summary>
    public string Version { get; } = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The temporary tree: artifacts/packages (the feed), examples/PackageConsumer, build/ and packages/.</summary>
    public string Tree => _tree.Path;

    /// <summary>The .nupkg file.</summary>
    public string PackagePath => Path.Combine(Tree, "artifacts", "packages", $"KvRaft.Client.{Version}.nupkg");

    /// <summary>The copy of examples/PackageConsumer inside the tree.</summary>
    public string ExampleFolder => Path.Combine(Tree, "examples", "PackageConsumer");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public async Task InitializeAsync()
    {
        var pack = await Tool.DotnetAsync(
            ["pack", Path.Combine(RepositoryRoot, "src", "KvRaft.Client"), "-c", "Release", "--disable-build-servers",
             "-o", Path.Combine(Tree, "artifacts", "packages"), "--artifacts-path", Path.Combine(Tree, "build"), "-p:Version=" + Version],
            BuildLimit, environment: BuildEnvironment, unset: InheritedBuildVariables());
        if (pack.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet pack failed ({pack.ExitCode}):\n{pack.Output}\n{pack.Error}");
        }

        CopyExample();
    }

    public Task DisposeAsync()
    {
        _tree.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The entries of the package (paths inside the zip).</summary>
    public IReadOnlyList<string> Entries()
    {
        using var zip = ZipFile.OpenRead(PackagePath);
        return zip.Entries.Select(entry => entry.FullName).ToList();
    }

    /// <summary>The text of one entry of the package.</summary>
    public string ReadEntry(string name)
    {
        using var zip = ZipFile.OpenRead(PackagePath);
        var entry = zip.GetEntry(name) ?? throw new InvalidOperationException($"{name} is not in the package");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Telemetry, the first-run banner and MSBuild node reuse off for a child `dotnet` build.</summary>
    public static readonly IReadOnlyDictionary<string, string> BuildEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
    };

    /// <summary>
    /// The variables a child `dotnet` build must not inherit: this test runs under `dotnet test`, whose MSBuild
    /// variables (MSBuildExtensionsPath, MSBUILD_EXE_PATH, ...) describe the parent's build.
    /// </summary>
    public static IEnumerable<string> InheritedBuildVariables() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) && !BuildEnvironment.ContainsKey(name)).ToList();

    private void CopyExample()
    {
        var source = Path.Combine(RepositoryRoot, "examples", "PackageConsumer");
        Directory.CreateDirectory(ExampleFolder);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(ExampleFolder, Path.GetFileName(file)));
        }
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "KvRaft.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("no KvRaft.sln above " + AppContext.BaseDirectory);
    }
}
