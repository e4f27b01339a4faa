using System.Globalization;
using System.Text;

namespace KvRaft.Linearizability;

/// <summary>Formats operations for people: client, op, key, value/output, call/return in ms after the first call.</summary>
public static class OperationFormatter
{
    /// <summary>e.g. <c>client 3 put "k1" "v-3-4"  [12.000 .. 12.500 ms] ok</c>.</summary>
    public static string Format(Operation operation, long originNanoseconds)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"client {operation.Client} {Name(operation.Kind)} {Quote(operation.Key)}");
        text.Append(Arguments(operation));
        text.Append(CultureInfo.InvariantCulture, $"  [{Milliseconds(operation.CallNanoseconds, originNanoseconds)} .. ");
        text.Append(operation.ReturnNanoseconds == long.MaxValue ? "?" : Milliseconds(operation.ReturnNanoseconds, originNanoseconds));
        text.Append(" ms] ").Append(Status(operation.Status));
        if (operation.Line > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" (line {operation.Line})");
        }
        return text.ToString();
    }

    /// <summary>A value in quotes, shortened in the middle past 60 characters.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var shown = value.Length <= 60 ? value : $"{value[..28]}...({value.Length} chars)...{value[^20..]}";
        return $"\"{shown}\"";
    }

    private static string Arguments(Operation operation) => operation.Kind switch
    {
        OperationKind.Get => operation.Output is null ? "" : $" -> {Quote(operation.Output)}",
        OperationKind.Put or OperationKind.Append => $" {Quote(operation.Value ?? "")}",
        OperationKind.Cas => $" {Quote(operation.Expected ?? "")} => {Quote(operation.Value ?? "")}"
            + (operation.Output is null ? "" : $" -> {operation.Output}"),
        _ => "",
    };

    private static string Milliseconds(long nanoseconds, long originNanoseconds) =>
        ((nanoseconds - originNanoseconds) / 1e6).ToString("0.000", CultureInfo.InvariantCulture);

    private static string Name(OperationKind kind) => kind.ToString().ToLowerInvariant();

    private static string Status(OperationStatus status) => status switch
    {
        OperationStatus.Completed => "ok",
        OperationStatus.Failed => "failed",
        _ => "unknown outcome",
    };
}
