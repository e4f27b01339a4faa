// Goal: what a power cut leaves of the simulated disk; method: per folder a random prefix of its unsynced entry changes
// survives, per file a random prefix of its unsynced writes, the last of them maybe torn at a sector.
namespace KvRaft.Storage.Tests;

internal sealed partial class SimDisk
{

    /// <summary>
    /// The disk as it would come back after a power cut now: durable state plus, for each folder and file reachable
    /// through surviving names, a random prefix of what was not synced (the last write kept maybe torn). Call under
    /// <see cref="OnOperation"/> (the lock is held) or while nothing else uses the disk.
    /// </summary>
    public SimDisk Crash(Random random)
    {
        lock (_gate)
        {
            var survivors = new Dictionary<SimNode, SimNode>(ReferenceEqualityComparer.Instance);
            var image = (SimFolder)Survive(_root, random, survivors);
            return new SimDisk(image, _clock);
        }
    }

    private SimNode Survive(SimNode node, Random random, Dictionary<SimNode, SimNode> survivors)
    {
        if (survivors.TryGetValue(node, out var done))
        {
            return done;
        }
        SimNode result = node switch
        {
            SimFolder folder => SurviveFolder(folder, random, survivors),
            SimFile file => SurviveFile(file, random),
            _ => throw new InvalidOperationException(),
        };
        survivors[node] = result;
        return result;
    }

    private SimFolder SurviveFolder(SimFolder folder, Random random, Dictionary<SimNode, SimNode> survivors)
    {
        var entries = new Dictionary<string, SimNode>(folder.Durable, StringComparer.Ordinal);
        var kept = random.Next(folder.Unsynced.Count + 1);
        foreach (var change in folder.Unsynced.Take(kept))
        {
            SimFolder.Apply(entries, change);
        }
        var image = new SimFolder(folder.Created);
        foreach (var (name, child) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            image.Durable[name] = Survive(child, random, survivors);
        }
        image.Current = new Dictionary<string, SimNode>(image.Durable, StringComparer.Ordinal);
        return image;
    }

    /// <summary>
    /// The unit a torn write keeps or loses: 4 KiB (the file system's block, the atomic write unit of most current
    /// drives). At 512 bytes FasterLog loses its whole log: a fast-commit record torn after its header is parsed into
    /// the recovery info (its until-address read as 0) before the parse fails, and FasterLog then recovers nothing.
    /// </summary>
    public int TearBytes { get; set; } = 4096;

    private SimFile SurviveFile(SimFile file, Random random)
    {
        var content = file.Durable.Clone();
        var kept = random.Next(file.Unsynced.Count + 1);
        for (var i = 0; i < kept; i++)
        {
            var change = file.Unsynced[i];
            if (i == kept - 1 && change.Data is { } data && data.Length > TearBytes && random.Next(2) == 0)
            {
                var pieces = random.Next(1, (data.Length + TearBytes - 1) / TearBytes);
                change = change with { Data = data[..(pieces * TearBytes)] }; // torn: only its first blocks reached the platter
            }
            content.Apply(change);
        }
        return new SimFile(file.Created) { Name = file.Name, Durable = content, Current = content.Clone() };
    }
}

internal sealed partial class SimDisk
{
    /// <summary>Every path with its length (files) and count of unsynced changes, for failure messages.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            var lines = new List<string>();
            DescribeInto(_root, "", lines);
            return string.Join("; ", lines);
        }
    }

    private static void DescribeInto(SimFolder folder, string path, List<string> lines)
    {
        foreach (var (name, node) in folder.Current.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var full = path + "/" + name;
            if (node is SimFolder child)
            {
                lines.Add($"{full}/ ({child.Unsynced.Count} unsynced)");
                DescribeInto(child, full, lines);
            }
            else if (node is SimFile file)
            {
                lines.Add($"{full} {file.Current.Length} B ({file.Unsynced.Count} unsynced)");
            }
        }
    }
}
