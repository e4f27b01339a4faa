// Goal: the network between the processes of a GroupedCluster, carrying group frames as bytes; method: every frame is decoded as the transport decodes it (FrameDecoder, GroupFrameCodec.Split, PeerMessageCodec) and handed to the group it names after a drawn delay; a group's traffic can be cut to show groups commit independently, a process cut off, a link cut one way, and frames dropped at a drawn rate.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using Xunit;

namespace KvRaft.Testing.Groups;

/// <summary>Frames in flight between processes, delivered in order of their due step.</summary>
internal sealed class GroupNetwork(GroupedCluster cluster)
{
    private readonly List<(long Due, int From, int To, byte[] Frame)> _inFlight = [];
    private readonly List<(long Due, int From, int To, int Group, Func<GroupReplicas, PeerCheck> Input)> _streamed = []; // snapshot streams' chunks and messages, in the order sent

    /// <summary>Groups whose traffic is dropped (both ways, every process).</summary>
    public HashSet<int> CutGroups { get; } = [];

    /// <summary>What a test does to each message before it is delivered (a planted bug: a forged answer); null drops it.</summary>
    public Func<int, PeerMessage, PeerMessage?>? Intercept { get; set; }

    /// <summary>Processes cut off from every other (every group's frames to and from them are dropped).</summary>
    public HashSet<int> IsolatedProcesses { get; } = [];

    /// <summary>Links cut one way: a frame from the first process to the second is dropped.</summary>
    public HashSet<(int From, int To)> CutLinks { get; } = [];

    /// <summary>The share of frames lost in flight (0: none).</summary>
    public double DropChance { get; set; }

    /// <summary>A frame is delivered 1 to 1 + this many steps after it is sent (frames with different delays overtake each other).</summary>
    public int DelayStepsMax { get; set; } = 1;

    /// <summary>The share of frames delivered twice, each copy after its own delay (0: none).</summary>
    public double DuplicateChance { get; set; }

    /// <summary>The share of frames held 30 to 90 steps, past election timeouts and migration steps (0: none).</summary>
    public double LongDelayChance { get; set; }

    /// <summary>Frames sent so far, by group.</summary>
    public Dictionary<int, long> SentByGroup { get; } = [];

    public void Send(int from, int to, byte[] frame)
    {
        var group = Decode(frame).Group;
        SentByGroup[group] = SentByGroup.GetValueOrDefault(group) + 1;
        if (DropChance > 0 && cluster.Random.NextDouble() < DropChance)
        {
            return;
        }
        _inFlight.Add((cluster.Step + 1 + Delay(), from, to, frame));
        if (DuplicateChance > 0 && cluster.Random.NextDouble() < DuplicateChance)
        {
            _inFlight.Add((cluster.Step + 1 + Delay(), from, to, frame));
        }
    }

    private int Delay()
    {
        var delay = cluster.Random.Next(DelayStepsMax + 1);
        return LongDelayChance > 0 && cluster.Random.NextDouble() < LongDelayChance ? delay + 30 + cluster.Random.Next(61) : delay;
    }

    public void Clear()
    {
        _inFlight.Clear();
        _streamed.Clear();
    }

    /// <summary>True when <paramref name="group"/>'s traffic from <paramref name="from"/> to <paramref name="to"/> is cut.</summary>
    public bool IsCut(int from, int to, int group) =>
        CutGroups.Contains(group) || IsolatedProcesses.Contains(from) || IsolatedProcesses.Contains(to) || CutLinks.Contains((from, to));

    /// <summary>Input of a snapshot stream (a chunk, or the Snapshot message once every chunk is acknowledged) for process <paramref name="to"/> at step <paramref name="due"/>: lost on a cut.</summary>
    public void Schedule(long due, int from, int to, int group, Func<GroupReplicas, PeerCheck> input) => _streamed.Add((due, from, to, group, input));

    /// <summary>Delivers every frame due by now, in the order they were sent.</summary>
    public void DeliverDue()
    {
        var streamed = _streamed.Where(item => item.Due <= cluster.Step).ToList();
        _streamed.RemoveAll(item => item.Due <= cluster.Step);
        foreach (var (_, from, to, group, input) in streamed)
        {
            if (!IsCut(from, to, group) && cluster.Process(to).Replicas is not null)
            {
                cluster.Process(to).Input(replicas =>
                {
                    var check = input(replicas);
                    Assert.False(check.IsRefused, $"p{to} refused snapshot input of group {group} from p{from}: {check.Reason}");
                });
            }
        }
        var due = _inFlight.Where(item => item.Due <= cluster.Step).ToList();
        _inFlight.RemoveAll(item => item.Due <= cluster.Step);
        foreach (var (_, from, to, frame) in due)
        {
            var (group, received) = Decode(frame);
            if (IsCut(from, to, group) || cluster.Process(to).Replicas is null
                || (Intercept is null ? received : Intercept(group, received)) is not { } message)
            {
                continue;
            }

            cluster.Process(to).Deliver(group, from, message);
        }
    }

    /// <summary>The group and message of a frame, parsed as the transport parses it.</summary>
    public static (int Group, PeerMessage Message) Decode(byte[] frame)
    {
        var decoded = FrameDecoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.Frame, decoded.Status);
        var body = decoded.Body((ReadOnlyMemory<byte>)frame);
        var group = 0;
        if (decoded.Type == FrameType.GroupPeerMessage)
        {
            Assert.True(GroupFrameCodec.Split(body, out group, out body).IsOk);
        }
        else
        {
            Assert.Equal(FrameType.PeerMessage, decoded.Type);
        }
        Assert.True(PeerMessageCodec.Parse(body, out var message).IsOk);
        return (group, message);
    }
}
