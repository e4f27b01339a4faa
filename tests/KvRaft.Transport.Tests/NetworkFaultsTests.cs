// Goal: NetworkFaults decides drops and delays exactly as its rules say; method: direct decisions over every node pair.
using KvRaft.Transport;
using Xunit;

namespace KvRaft.Transport.Tests;

public sealed class NetworkFaultsTests
{
    private static readonly int[] Nodes = [1, 2, 3, 4, 5];

    [Fact]
    public void A_healed_network_delivers_everything()
    {
        var faults = new NetworkFaults(seed: 1);
        foreach (int from in Nodes)
        {
            foreach (int to in Nodes) Assert.Equal(FaultAction.Deliver, faults.Decide(from, to).Action);
        }
        Assert.True(faults.IsHealed);
    }

    [Fact]
    public void An_isolated_node_neither_sends_nor_receives_and_the_rest_still_talk()
    {
        var faults = new NetworkFaults(seed: 1);
        faults.Isolate(2);
        foreach (int other in Nodes.Where(n => n != 2))
        {
            Assert.Equal(FaultAction.Drop, faults.Decide(2, other).Action);
            Assert.Equal(FaultAction.Drop, faults.Decide(other, 2).Action);
        }
        Assert.Equal(FaultAction.Deliver, faults.Decide(1, 3).Action);
        faults.Heal();
        Assert.Equal(FaultAction.Deliver, faults.Decide(2, 1).Action);
        Assert.True(faults.IsHealed);
    }

    [Fact]
    public void A_partition_cuts_only_between_groups()
    {
        var faults = new NetworkFaults(seed: 1);
        faults.Partition([1, 2], [3, 4, 5]);
        Assert.Equal(FaultAction.Deliver, faults.Decide(1, 2).Action);
        Assert.Equal(FaultAction.Deliver, faults.Decide(4, 5).Action);
        Assert.Equal(FaultAction.Drop, faults.Decide(1, 3).Action);
        Assert.Equal(FaultAction.Drop, faults.Decide(5, 2).Action);
    }

    [Fact]
    public void A_cut_is_one_way()
    {
        var faults = new NetworkFaults(seed: 1);
        faults.Cut(1, 2);
        Assert.Equal(FaultAction.Drop, faults.Decide(1, 2).Action);
        Assert.Equal(FaultAction.Deliver, faults.Decide(2, 1).Action);
    }

    [Fact]
    public void The_description_names_every_rule_in_force()
    {
        var faults = new NetworkFaults(seed: 1);
        Assert.Equal("no faults", faults.ToString());
        faults.Isolate(3);
        faults.Cut(1, 2);
        faults.SetUnreliable(dropPercent: 5, delayMillisecondsMax: 10);
        Assert.Equal("isolated: 3; cuts: 1->2; drop 5%, delay up to 10 ms", faults.ToString());
        faults.Heal();
        Assert.Equal("no faults", faults.ToString());
    }

    [Fact]
    public void Random_loss_and_delay_follow_the_seed_and_the_bounds()
    {
        var first = new NetworkFaults(seed: 42);
        var second = new NetworkFaults(seed: 42);
        first.SetUnreliable(dropPercent: 30, delayMillisecondsMax: 20);
        second.SetUnreliable(dropPercent: 30, delayMillisecondsMax: 20);
        int drops = 0;
        for (int i = 0; i < 2_000; i++)
        {
            FaultDecision a = first.Decide(1, 2), b = second.Decide(1, 2);
            Assert.Equal(a, b);
            if (a.Action == FaultAction.Drop) drops++;
            else Assert.InRange(a.DelayMilliseconds, 0, 20);
        }
        Assert.InRange(drops, 400, 800); // 30% of 2,000 with a fixed seed: 600 give or take sampling noise
    }
}
