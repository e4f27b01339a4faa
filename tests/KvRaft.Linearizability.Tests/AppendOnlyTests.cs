// Goal: a key only appended to and read is checked in few steps even when appends overlap everything, and its violations are still found; method: hand-built histories checked under a small step budget.
using Xunit;

namespace KvRaft.Linearizability.Tests;

public sealed class AppendOnlyTests
{
    private const int Short = 200;
    private static readonly CheckOptions SmallBudget = new() { MaxStepsPerKey = 200_000, TimeoutPerKey = TimeSpan.FromMinutes(5) };

    /// <summary>
    /// One client appends s1..s200 one after another; four calls append L1..L4 over the whole run (retried across a
    /// leader change); one get at the end reads them all, the long ones at <paramref name="places"/>.
    /// </summary>
    private static History Overlapping(int[] places, Func<List<string>, List<string>>? reorder = null)
    {
        var history = new History();
        var order = new List<string>();
        for (var i = 1; i <= Short; i++)
        {
            history.Append(1, "k", $"s{i};", 10 * i, 10 * i + 5);
            order.Add($"s{i};");
        }
        for (var j = 0; j < places.Length; j++)
        {
            history.Append(2 + j, "k", $"L{j + 1};", 1, 10 * Short + 8);
            order.Insert(places[j] + j, $"L{j + 1};");
        }
        order = reorder?.Invoke(order) ?? order;
        history.Get(9, "k", string.Concat(order), 10 * Short + 10, 10 * Short + 11);
        return history;
    }

    [Fact]
    public void Appends_overlapping_a_long_run_are_placed_without_trying_every_place()
    {
        // Without the cut, each long append is tried at each of the 200 places: far beyond this budget.
        var result = Overlapping([40, 90, 150, 199]).Check(SmallBudget);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
    }

    [Fact]
    public void A_read_that_shows_two_appends_in_the_opposite_of_their_real_time_order_is_still_a_violation()
    {
        var result = Overlapping([40, 90, 150, 199], order =>
        {
            int first = order.IndexOf("s10;"), second = order.IndexOf("s11;");
            (order[first], order[second]) = (order[second], order[first]);
            return order;
        }).Check(SmallBudget);
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
    }

    [Fact]
    public void A_key_that_is_also_put_to_is_searched_as_before()
    {
        var history = new History()
            .Append(1, "k", "a", 0, 10)
            .Put(2, "k", "b", 1, 2)
            .Get(3, "k", "ba", 11, 12);
        Assert.Equal(Verdict.Linearizable, history.Check(SmallBudget).Verdict);
        history.Get(3, "k", "ab", 13, 14);
        Assert.Equal(Verdict.NotLinearizable, history.Check(SmallBudget).Verdict);
    }
}
