// Goal: the folder fsync the stores rely on works on the real file system and fails loudly; method: sync a temp
// folder, a missing one, and create nested folders durably.
namespace KvRaft.Storage.Tests;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_existing_folder_syncs()
    {
        DirectorySync.Sync(_dir.Path);
    }

    [Fact]
    public void A_missing_folder_fails_to_sync()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            Assert.Throws<IOException>(() => DirectorySync.Sync(_dir.Sub("missing")));
        }
    }

    [Fact]
    public void Nested_folders_are_created_durably()
    {
        var nested = Path.Combine(_dir.Path, "a", "b", "c");
        DirectorySync.CreateDurably(LocalFileSystem.Instance, nested);
        Assert.True(Directory.Exists(nested));
    }

    [Fact]
    public void On_the_simulated_disk_a_folder_created_durably_survives_any_crash()
    {
        var disk = new SimDisk();
        DirectorySync.CreateDurably(disk, "/sim/a/b");
        for (var seed = 0; seed < 20; seed++)
        {
            Assert.True(disk.Crash(new Random(seed)).DirectoryExists("/sim/a/b"), $"seed {seed}");
        }
    }

    [Fact]
    public void On_the_simulated_disk_a_folder_created_without_a_sync_is_lost_at_some_crash()
    {
        var disk = new SimDisk();
        disk.CreateDirectory("/sim/a/b");
        Assert.Contains(Enumerable.Range(0, 20), seed => !disk.Crash(new Random(seed)).DirectoryExists("/sim/a/b"));
    }
}
