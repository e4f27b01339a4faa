// Goal: a --config JSON file overrides only the options it names: every option it leaves out keeps the default
// ServerOptions declares (the source-generated deserializer used to set every init-only property it was not given
// to zero: a file without the tick fields was refused, one without the snapshot fields snapshotted after every few
// puts), and a file missing a required option is refused naming it. Method: files written to a temporary folder,
// read with ServerOptions.FromJsonFile, compared with options built in code; the override check goes field by
// field over every optional option the record declares (found through its own JSON form, so new options are covered).
using System.Text.Json.Nodes;
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class ServerOptionsFileTests : IDisposable
{
    private const string RequiredJson =
        """{ "id": 1, "peerListen": "127.0.0.1:7001", "clientListen": "127.0.0.1:8001", "peers": "1=127.0.0.1:7001", "dataDir": "/tmp/unused" }""";

    private static readonly ServerOptions Expected = new()
    {
        Id = 1,
        PeerListen = "127.0.0.1:7001",
        ClientListen = "127.0.0.1:8001",
        Peers = "1=127.0.0.1:7001",
        DataDir = "/tmp/unused",
    };

    private readonly string _folder = Directory.CreateTempSubdirectory("kvraft-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_file_naming_only_the_required_options_gets_every_declared_default()
    {
        var parsed = Read(RequiredJson);
        Assert.Equal(Expected, parsed);
        parsed.Validate(); // the declared tick defaults satisfy 0 < heartbeat < election
    }

    [Fact]
    public void Each_optional_option_a_file_names_overrides_that_option_alone()
    {
        var defaults = ServerOptions.ToJsonNode(Expected);
        string[] required = ["id", "peerListen", "clientListen", "peers", "dataDir"];
        var checkedOptions = 0;
        foreach (var (name, value) in defaults.ToList())
        {
            if (required.Contains(name))
            {
                continue;
            }

            var file = JsonNode.Parse(RequiredJson)!.AsObject();
            file[name] = Different(value);
            var read = ServerOptions.ToJsonNode(Read(file.ToJsonString()));
            foreach (var (other, expected) in defaults)
            {
                var wanted = other == name ? file[name] : expected;
                Assert.True(JsonNode.DeepEquals(wanted, read[other]), $"with only '{name}' in the file, '{other}' is {read[other]?.ToJsonString() ?? "null"}, not {wanted?.ToJsonString() ?? "null"}");
            }
            checkedOptions++;
        }
        Assert.True(checkedOptions >= 6, $"only {checkedOptions} optional options found");
    }

    [Fact]
    public void A_file_missing_a_required_option_is_refused_naming_it()
    {
        var file = JsonNode.Parse(RequiredJson)!.AsObject();
        file.Remove("dataDir");
        var error = Assert.ThrowsAny<Exception>(() => Read(file.ToJsonString()));
        Assert.Contains("dataDir", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_joining_nodes_file_needs_no_peers()
    {
        var file = JsonNode.Parse(RequiredJson)!.AsObject();
        file.Remove("peers");
        file["join"] = "127.0.0.1:8002";
        var parsed = Read(file.ToJsonString());
        Assert.Equal(Expected with { Peers = "", Join = "127.0.0.1:8002" }, parsed);
        parsed.Validate();
    }

    private ServerOptions Read(string json)
    {
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, json);
        return ServerOptions.FromJsonFile(path);
    }

    /// <summary>A JSON value of the same kind as <paramref name="value"/> and unlike it.</summary>
    private static JsonNode Different(JsonNode? value) => value switch
    {
        null => JsonValue.Create("1=127.0.0.1:8001"),
        JsonValue v when v.TryGetValue(out bool flag) => JsonValue.Create(!flag),
        JsonValue v when v.TryGetValue(out long number) => JsonValue.Create(number + 7),
        JsonValue v when v.TryGetValue(out string? text) => JsonValue.Create(text + "-other"),
        _ => throw new InvalidOperationException($"no different value for {value.ToJsonString()}"),
    };
}
