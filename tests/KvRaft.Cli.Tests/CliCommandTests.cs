// Goal: the built kvraft executable does what docs/cli.md says: stdout and exit codes of every command. Method: `dotnet kvraft.dll ...` as a child process against a real in-process three-node LocalCluster (shared, one key per test), and against closed ports.
namespace KvRaft.Cli.Tests;

public sealed class CliCommandTests(InProcessCluster fixture) : IClassFixture<InProcessCluster>
{
    private Task<ToolRun> Kvraft(params string[] arguments) => Tool.Kvraft(["--endpoints", fixture.Endpoints, .. arguments]);

    [Fact]
    public async Task Put_then_get_prints_the_value_alone_with_exit_code_0()
    {
        Assert.Equal(new ToolRun(0, "OK\n", ""), await Kvraft("put", "put-key", "hello world"));
        Assert.Equal(new ToolRun(0, "hello world\n", ""), await Kvraft("get", "put-key"));
    }

    [Fact]
    public async Task Append_extends_the_value_and_creates_an_absent_key()
    {
        Assert.Equal(0, (await Kvraft("append", "append-key", "v1")).ExitCode);
        Assert.Equal(0, (await Kvraft("append", "append-key", "->v2")).ExitCode);
        Assert.Equal("v1->v2\n", (await Kvraft("get", "append-key")).Output);
    }

    [Fact]
    public async Task Get_and_delete_of_an_absent_key_exit_with_1_and_print_nothing_on_stdout()
    {
        var get = await Kvraft("get", "never-written");
        Assert.Equal((1, ""), (get.ExitCode, get.Output));
        Assert.Contains("not found", get.Error, StringComparison.Ordinal);
        var delete = await Kvraft("delete", "never-written");
        Assert.Equal((1, ""), (delete.ExitCode, delete.Output));
    }

    [Fact]
    public async Task Delete_removes_a_present_key_with_exit_code_0()
    {
        await Kvraft("put", "delete-key", "x");
        Assert.Equal(new ToolRun(0, "deleted\n", ""), await Kvraft("delete", "delete-key"));
        Assert.Equal(1, (await Kvraft("get", "delete-key")).ExitCode);
    }

    [Fact]
    public async Task Cas_swaps_on_a_match_or_absence_and_exits_1_with_the_current_value_otherwise()
    {
        Assert.Equal(new ToolRun(0, "swapped\n", ""), await Kvraft("cas", "cas-key", "--absent", "a"));
        Assert.Equal(new ToolRun(1, "not swapped; current value: a\n", ""), await Kvraft("cas", "cas-key", "--absent", "b"));
        Assert.Equal(new ToolRun(1, "not swapped; current value: a\n", ""), await Kvraft("cas", "cas-key", "wrong", "b"));
        Assert.Equal(new ToolRun(0, "swapped\n", ""), await Kvraft("cas", "cas-key", "a", "b"));
        Assert.Equal("b\n", (await Kvraft("get", "cas-key")).Output);
    }

    [Fact]
    public async Task A_value_of_dash_is_read_from_stdin_byte_for_byte()
    {
        const string text = "line one\nline two ü\n";
        var put = await Tool.RunAsync("kvraft.dll", ["--endpoints", fixture.Endpoints, "put", "stdin-key", "-"], input: text);
        Assert.Equal(0, put.ExitCode);
        Assert.Equal(text + "\n", (await Kvraft("get", "stdin-key")).Output);
    }

    [Fact]
    public async Task Endpoints_come_from_KVRAFT_ENDPOINTS_when_the_option_is_absent()
    {
        var environment = new Dictionary<string, string> { ["KVRAFT_ENDPOINTS"] = fixture.Endpoints };
        Assert.Equal(0, (await Tool.RunAsync("kvraft.dll", ["put", "env-key", "e"], environment: environment)).ExitCode);
        Assert.Equal("e\n", (await Tool.RunAsync("kvraft.dll", ["get", "env-key"], environment: environment)).Output);
    }

    [Fact]
    public async Task Status_lists_every_node_with_its_role_term_and_indexes()
    {
        var status = await Kvraft("status");
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith("ENDPOINT", status.Lines[0], StringComparison.Ordinal);
        Assert.Equal(4, status.Lines.Length);
        for (var id = 1; id <= 3; id++)
        {
            var cells = status.Lines.Single(line => line.StartsWith(fixture.Cluster.ClientEndpoints[id - 1] + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(13, cells.Length);
            Assert.Equal(id.ToString(), cells[1]);
            Assert.Equal(["1,2,3", "-", "no"], cells[10..]); // voters, learners, joint state
            Assert.Contains(cells[2], new[] { "leader", "follower", "candidate", "precandidate" });
        }
        Assert.Contains(status.Lines, line => line.Contains(" leader ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Member_list_shows_the_voters_with_their_match_and_a_promotion_of_a_non_learner_exits_with_2()
    {
        var list = await Kvraft("member", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("leader ", list.Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("NODE", list.Lines[1], StringComparison.Ordinal);
        Assert.Equal(3, list.Lines.Count(line => line.Contains(" voter ", StringComparison.Ordinal)));
        var promote = await Kvraft("member", "promote", "9");
        Assert.Equal(2, promote.ExitCode);
        Assert.Contains("no learner", promote.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("put", "only-a-key")]
    [InlineData("cas", "k", "--absent", "a", "b")]
    [InlineData("get", "k", "--timeout", "-1")]
    [InlineData("get", "")]
    public async Task Usage_errors_exit_with_2(params string[] arguments)
    {
        var run = await Kvraft(arguments);
        Assert.Equal((2, ""), (run.ExitCode, run.Output));
        Assert.NotEmpty(run.Error);
    }

    [Fact]
    public async Task Missing_endpoints_are_a_usage_error()
    {
        var run = await Tool.Kvraft("get", "k");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("KVRAFT_ENDPOINTS", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get", "k")]
    [InlineData("put", "k", "v")]
    [InlineData("status")]
    public async Task No_reachable_node_exits_with_3(params string[] arguments)
    {
        var closed = $"{Bounded.DeadEndpoint()},{Bounded.DeadEndpoint()}";
        var run = await Tool.Kvraft(["--endpoints", closed, "--timeout", "1", .. arguments]);
        Assert.Equal(3, run.ExitCode);
    }
}
