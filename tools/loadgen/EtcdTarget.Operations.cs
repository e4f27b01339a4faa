// Goal: the workload's operations in etcd terms: linearizable range reads, puts, deletes, append as a transaction loop, cas as one transaction.
using Etcdserverpb;
using Google.Protobuf;
using KvRaft.Client;
using Mvccpb;

namespace KvRaft.Loadgen;

public sealed partial class EtcdTarget
{
    /// <inheritdoc/>
    public async Task<string?> GetAsync(int client, string key, TimeSpan timeout)
    {
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(key) };
        var response = await CallAsync(deadline => For(client).GetAsync(request, null, deadline), Deadline(timeout), idempotent: true)
            .ConfigureAwait(false);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToStringUtf8();
    }

    /// <inheritdoc/>
    public Task PutAsync(int client, string key, string value, TimeSpan timeout)
    {
        var request = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };
        return CallAsync(deadline => For(client).PutAsync(request, null, deadline), Deadline(timeout), idempotent: false);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(int client, string key, TimeSpan timeout)
    {
        var request = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) };
        return CallAsync(deadline => For(client).DeleteAsync(request, null, deadline), Deadline(timeout), idempotent: false);
    }

    /// <summary>
    /// Reads the value and its mod revision (serializable: a stale answer only costs a retry), then writes
    /// value + suffix in a transaction that requires the mod revision unchanged; on a conflict the
    /// transaction's failure branch returns the current value and the loop tries again. Only conflicts
    /// until the deadline end in <see cref="EtcdConflictException"/> (never applied).
    /// </summary>
    public async Task AppendAsync(int client, string key, string value, TimeSpan timeout)
    {
        var deadline = Deadline(timeout);
        var name = ByteString.CopyFromUtf8(key);
        var suffix = System.Text.Encoding.UTF8.GetBytes(value);
        var read = new RangeRequest { Key = name, Serializable = true };
        var first = await CallAsync(d => For(client).GetAsync(read, null, d), deadline, idempotent: true).ConfigureAwait(false);
        var current = first.Kvs.Count == 0 ? null : first.Kvs[0];
        for (var attempt = 1; ; attempt++)
        {
            var request = AppendTransaction(name, current, suffix);
            var response = await CallAsync(d => For(client).TransactionAsync(request, null, d), deadline, idempotent: false)
                .ConfigureAwait(false);
            if (response.Succeeded)
            {
                return;
            }

            var now = response.Responses[0].ResponseRange;
            current = now.Kvs.Count == 0 ? null : now.Kvs[0];
            if (DateTime.UtcNow >= deadline)
            {
                throw new EtcdConflictException($"append to {key} lost {attempt} races before its deadline");
            }
        }
    }

    /// <summary>One transaction: compare the value (or absence: create revision 0), put on success, read on failure.</summary>
    public async Task<CasResult> CompareAndSetAsync(int client, string key, string? expected, string value, TimeSpan timeout)
    {
        var name = ByteString.CopyFromUtf8(key);
        var compare = expected is null
            ? new Compare { Key = name, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 }
            : new Compare { Key = name, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(expected) };
        var request = Transaction(compare, new PutRequest { Key = name, Value = ByteString.CopyFromUtf8(value) }, name);
        var response = await CallAsync(d => For(client).TransactionAsync(request, null, d), Deadline(timeout), idempotent: false)
            .ConfigureAwait(false);
        if (response.Succeeded)
        {
            return new CasResult(true, value);
        }

        var now = response.Responses[0].ResponseRange;
        return new CasResult(false, now.Kvs.Count == 0 ? null : now.Kvs[0].Value.ToStringUtf8());
    }

    /// <summary>The append transaction for the state <paramref name="current"/> (null: absent, mod revision 0).</summary>
    internal static TxnRequest AppendTransaction(ByteString key, KeyValue? current, byte[] suffix)
    {
        var old = current?.Value ?? ByteString.Empty;
        var joined = new byte[old.Length + suffix.Length];
        old.Span.CopyTo(joined);
        suffix.CopyTo(joined, old.Length);
        var compare = new Compare
        {
            Key = key,
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = current?.ModRevision ?? 0,
        };
        return Transaction(compare, new PutRequest { Key = key, Value = ByteString.CopyFrom(joined) }, key);
    }

    private static TxnRequest Transaction(Compare compare, PutRequest onSuccess, ByteString readOnFailure) => new()
    {
        Compare = { compare },
        Success = { new RequestOp { RequestPut = onSuccess } },
        Failure = { new RequestOp { RequestRange = new RangeRequest { Key = readOnFailure } } },
    };

    private static DateTime Deadline(TimeSpan timeout) => DateTime.UtcNow + timeout;
}
