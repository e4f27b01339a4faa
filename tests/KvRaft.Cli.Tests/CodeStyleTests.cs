// Goal: the whole tree keeps the one house style of .editorconfig (`var` for locals, braces on every block, `_camelCase`
// private fields, no `this.` on fields, the whitespace rules), which the build enforces for the style rules
// (EnforceCodeStyleInBuild) and `dotnet format --verify-no-changes` for everything; method: run that command on the
// repository's solution, as CI would, and require it to find nothing to change (its output names what it would change).
namespace KvRaft.Cli.Tests;

public sealed class CodeStyleTests
{
    private static readonly TimeSpan FormatLimit = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task The_tree_is_in_the_house_style_as_dotnet_format_verifies_it()
    {
        var format = await Tool.DotnetAsync(
            ["format", Path.Combine(PackedClient.RepositoryRoot, "KvRaft.sln"), "--verify-no-changes", "-v", "q"],
            FormatLimit, environment: PackedClient.BuildEnvironment, unset: PackedClient.InheritedBuildVariables());

        Assert.True(format.ExitCode == 0, $"dotnet format would change the tree (exit {format.ExitCode}); run `dotnet format KvRaft.sln`:\n{format.Output}\n{format.Error}");
    }
}
