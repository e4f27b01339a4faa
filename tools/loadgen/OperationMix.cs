// Goal: the share of each operation kind in a workload ("get=50,put=30,append=10,cas=10").
using System.Globalization;
using KvRaft.Linearizability;

namespace KvRaft.Loadgen;

/// <summary>Weights of operation kinds; <see cref="Pick"/> draws one.</summary>
public sealed class OperationMix
{
    private readonly (OperationKind Kind, int Weight)[] _weights;
    private readonly int _total;

    private OperationMix((OperationKind Kind, int Weight)[] weights)
    {
        _weights = weights;
        _total = weights.Sum(w => w.Weight);
        if (_total <= 0)
        {
            throw new FormatException("the mix needs a positive weight");
        }
    }

    /// <summary>The default: get=50,put=30,append=10,cas=10.</summary>
    public static OperationMix Default { get; } = Parse("get=50,put=30,append=10,cas=10");

    /// <summary>True when every operation is a get.</summary>
    public bool IsReadOnly => _weights.All(w => w.Kind == OperationKind.Get || w.Weight == 0);

    /// <summary>True when compare-and-set operations are drawn (clients then remember the values they saw).</summary>
    public bool HasCas => _weights.Any(w => w.Kind == OperationKind.Cas && w.Weight > 0);

    /// <summary>Parses "kind=weight,…" with kinds get, put, append, delete, cas.</summary>
    public static OperationMix Parse(string text)
    {
        var weights = new List<(OperationKind, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=');
            if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
            {
                throw new FormatException($"mix entry \"{part}\" is not kind=weight");
            }
            weights.Add((ParseKind(pair[0]), weight));
        }
        return new OperationMix([.. weights]);
    }

    /// <summary>Draws a kind with probability proportional to its weight.</summary>
    public OperationKind Pick(Random random)
    {
        var draw = random.Next(_total);
        foreach ((var kind, var weight) in _weights)
        {
            if (draw < weight)
            {
                return kind;
            }

            draw -= weight;
        }
        return _weights[^1].Kind;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(',', _weights.Select(w => $"{w.Kind.ToString().ToLowerInvariant()}={w.Weight}"));

    private static OperationKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "get" => OperationKind.Get,
        "put" => OperationKind.Put,
        "append" => OperationKind.Append,
        "delete" => OperationKind.Delete,
        "cas" => OperationKind.Cas,
        _ => throw new FormatException($"unknown operation \"{name}\" (get, put, append, delete, cas)"),
    };
}
