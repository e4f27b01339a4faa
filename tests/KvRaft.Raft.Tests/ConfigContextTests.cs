// Goal: a membership change carries the host's opaque context (the member addresses) through the log untouched, the core
// bounding it by size only, and Config entries written before contexts existed still decode. Method: the entry codec
// directly, and one leader (Solo) proposing with a context, its applied entry read back with RaftNode.TryReadConfigEntry.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Members;

namespace KvRaft.Raft.Tests;

public sealed class ConfigContextTests
{
    private static readonly NodeOptions Plain = new() { PreVote = false, CheckQuorum = false };

    [Fact]
    public void ContextRoundTripsThroughTheEntryCodec_AndAnEntryWithoutOneStaysInTheOldLayout()
    {
        var change = new ConfigChange(ConfigChangeType.AddLearner, 4);
        var with = ConfigChangeCodec.Encode(new ConfigChangeRequest(false, ConfigTransition.Auto, [change]) { Context = [1, 2, 3] });
        Assert.True(RaftNode.TryReadConfigEntry(with, out var changes, out var context));
        Assert.Equal([change], changes);
        Assert.Equal(new byte[] { 1, 2, 3 }, context);
        var without = ConfigChangeCodec.Encode(new ConfigChangeRequest(false, ConfigTransition.Auto, [change]));
        Assert.Equal(Convert.FromHexString("0100010204000000"), without); // kind 1: what builds before contexts wrote
        Assert.True(RaftNode.TryReadConfigEntry(without, out _, out context));
        Assert.Empty(context);
    }

    [Theory]
    [InlineData("03000102040000000000")] // kind 3 with an empty context
    [InlineData("030001020400000003000102")] // context shorter than its length
    [InlineData("03000102040000000100010203")] // a byte after the context
    [InlineData("030001020400000001")] // length cut short
    public void EntryCodec_RefusesAContextWhoseLengthDoesNotAddUp(string hex)
    {
        Assert.False(RaftNode.TryReadConfigEntry(Convert.FromHexString(hex), out _, out _));
        Assert.False(RaftNode.IsConfigEntryData(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Leader_CarriesTheContextToTheAppliedEntry_AndRefusesOneOverTheLimit()
    {
        var solo = new Solo(1, [1], options: Plain);
        solo.Node.Campaign();
        solo.Drain();
        Assert.Equal(Role.Leader, solo.Node.Role);
        var tooLong = new byte[RaftNode.ConfigContextBytesMax + 1];
        Assert.Equal(ConfigChangeStatus.Invalid, solo.Node.ProposeConfigChange([AddLearner(2)], ConfigTransition.Auto, tooLong, out _));
        var context = new byte[RaftNode.ConfigContextBytesMax];
        context[^1] = 7;
        Assert.Equal(ConfigChangeStatus.Accepted, solo.Node.ProposeConfigChange([AddLearner(2)], ConfigTransition.Auto, context, out var index));
        solo.Drain();
        var applied = Assert.Single(solo.Applied, entry => entry.Index == index);
        Assert.True(RaftNode.TryReadConfigEntry(applied.Data.Span, out _, out var carried));
        Assert.Equal(context, carried);
        Assert.Equal(Voters(1).With(learners: [2]), solo.Node.Config);
    }
}
