// Goal: fault control is off by default and is turned on by --fault-control or "faultControl" in a JSON config; method: the server's own command line and JSON reader on fixed inputs.
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ServerOptionsTests
{
    private static readonly string[] Required =
    [
        "--id", "1", "--peer-listen", "127.0.0.1:7001", "--client-listen", "127.0.0.1:8001",
        "--peers", "1=127.0.0.1:7001", "--data-dir", "/tmp/unused",
    ];

    [Fact]
    public async Task Fault_control_is_off_unless_the_command_line_asks_for_it()
    {
        Assert.False((await ParseAsync(Required)).FaultControl);
        Assert.True((await ParseAsync([.. Required, "--fault-control"])).FaultControl);
    }

    [Fact]
    public void Fault_control_is_read_from_a_json_config()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                { "id": 1, "peerListen": "127.0.0.1:7001", "clientListen": "127.0.0.1:8001",
                  "peers": "1=127.0.0.1:7001", "dataDir": "/tmp/unused", "faultControl": true }
                """);
            Assert.True(ServerOptions.FromJsonFile(path).FaultControl);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<ServerOptions> ParseAsync(string[] arguments)
    {
        ServerOptions? parsed = null;
        var root = ServerCommand.Create((options, _) =>
        {
            parsed = options;
            return Task.FromResult(0);
        });
        Assert.Equal(0, await root.Parse(arguments).InvokeAsync());
        return parsed!;
    }
}
