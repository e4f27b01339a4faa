using System.Buffers.Binary;
using System.Text;
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

/// <summary>Where one member listens: its peer address and its client address, each "host:port".</summary>
public readonly record struct MemberAddress(int NodeId, string PeerAddress, string ClientAddress)
{
    /// <summary>Longest address ("host:port", a DNS name has at most 253 characters).</summary>
    public const int AddressCharsMax = HostPort.CharsMax;

    /// <summary>Whether <paramref name="address"/> is a plain "host:port" (<see cref="HostPort.IsValid"/>).</summary>
    public static bool IsValidAddress(string? address) => HostPort.IsValid(address);

    /// <summary>Whether the id is positive and both addresses are valid.</summary>
    public bool IsValid => NodeId > 0 && IsValidAddress(PeerAddress) && IsValidAddress(ClientAddress);
}

/// <summary>
/// The member directory (docs/design.md, "Membership"): the addresses of the members, replicated with the
/// configuration. A Config entry's context carries address records (the member it adds); applying it sets those of
/// members and forgets those of nodes no longer members. Immutable. Encoded (context, and the snapshot's configuration section) little-endian: u16 count, then
/// per member i32 id, u16 length and the peer address, u16 length and the client address (ASCII).
/// Invariants: ids positive, distinct and ascending; every address valid (<see cref="MemberAddress.IsValidAddress"/>).
/// </summary>
public sealed class MemberDirectory
{
    /// <summary>No addresses.</summary>
    public static readonly MemberDirectory Empty = new([]);

    private readonly MemberAddress[] _members;

    private MemberDirectory(MemberAddress[] members) => _members = members;

    /// <summary>The members with known addresses, ascending by id.</summary>
    public IReadOnlyList<MemberAddress> Members => _members;

    /// <summary>The addresses of <paramref name="nodeId"/>, if known.</summary>
    public bool TryGet(int nodeId, out MemberAddress address)
    {
        foreach (var member in _members)
        {
            if (member.NodeId == nodeId)
            {
                address = member;
                return true;
            }
        }
        address = default;
        return false;
    }

    /// <summary>
    /// The directory after a Config entry leading to <paramref name="config"/> and carrying <paramref name="records"/>:
    /// each record of a member replaces that member's addresses, and nodes that are no members are forgotten.
    /// </summary>
    public MemberDirectory Apply(IReadOnlyList<MemberAddress> records, ConfigState config)
    {
        var next = new SortedDictionary<int, MemberAddress>();
        foreach (var member in _members)
        {
            next[member.NodeId] = member;
        }

        foreach (var record in records)
        {
            next[record.NodeId] = record;
        }

        var kept = next.Values.Where(member => config.IsMember(member.NodeId)).ToArray();
        return kept.Length == 0 ? Empty : new MemberDirectory(kept);
    }

    /// <summary>Bytes of <see cref="Encode(IReadOnlyList{MemberAddress})"/>.</summary>
    public static int EncodedBytes(IReadOnlyList<MemberAddress> records)
    {
        var size = 2;
        foreach (var record in records)
        {
            size += 4 + 2 + record.PeerAddress.Length + 2 + record.ClientAddress.Length;
        }

        return size;
    }

    /// <summary>Encodes this directory.</summary>
    public byte[] Encode() => Encode(_members);

    /// <summary>Encodes address records (valid ones: our own, checked before).</summary>
    public static byte[] Encode(IReadOnlyList<MemberAddress> records)
    {
        var bytes = new byte[EncodedBytes(records)];
        Write(records, bytes);
        return bytes;
    }

    /// <summary>Writes address records at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(IReadOnlyList<MemberAddress> records, Span<byte> destination)
    {
        Invariant.True(records.Count <= ConfigState.MembersMax, records.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)records.Count);
        var at = 2;
        foreach (var record in records)
        {
            Invariant.True(record.IsValid, record.NodeId);
            BinaryPrimitives.WriteInt32LittleEndian(destination[at..], record.NodeId);
            at = WriteText(destination, at + 4, record.PeerAddress);
            at = WriteText(destination, at, record.ClientAddress);
        }
        return at;
    }

    private static int WriteText(Span<byte> destination, int at, string text)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination[at..], (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, destination[(at + 2)..]);
        return at + 2 + text.Length;
    }

    /// <summary>
    /// Reads address records from input no one checked (a log entry, a file): false when the counts or lengths do not
    /// add up, an id is not positive, ids repeat, or an address is not a plain "host:port". Ascending on success.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out MemberAddress[] records, out int read)
    {
        records = [];
        read = 0;
        if (bytes.Length < 2)
        {
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (count > ConfigState.MembersMax)
        {
            return false;
        }

        var found = new MemberAddress[count];
        var ids = new HashSet<int>();
        var at = 2;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length < at + 4)
            {
                return false;
            }

            var id = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            if (!TryReadText(bytes, at + 4, out var peer, out at) || !TryReadText(bytes, at, out var client, out at))
            {
                return false;
            }

            found[i] = new MemberAddress(id, peer, client);
            if (!found[i].IsValid || !ids.Add(id))
            {
                return false;
            }
        }
        Array.Sort(found, (a, b) => a.NodeId.CompareTo(b.NodeId));
        (records, read) = (found, at);
        return true;
    }

    /// <summary>A directory read with <see cref="TryRead"/>: false when it does not decode or names a node that is no member of <paramref name="config"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, ConfigState config, out MemberDirectory directory, out int read)
    {
        directory = Empty;
        if (!TryRead(bytes, out var records, out read) || records.Any(record => !config.IsMember(record.NodeId)))
        {
            return false;
        }

        directory = records.Length == 0 ? Empty : new MemberDirectory(records);
        return true;
    }

    private static bool TryReadText(ReadOnlySpan<byte> bytes, int at, out string text, out int end)
    {
        text = "";
        end = at;
        if (bytes.Length < at + 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        if (length > MemberAddress.AddressCharsMax || bytes.Length < at + 2 + length)
        {
            return false;
        }

        foreach (var b in bytes.Slice(at + 2, length))
        {
            if (b is <= (byte)' ' or > (byte)'~')
            {
                return false;
            }
        }
        text = Encoding.ASCII.GetString(bytes.Slice(at + 2, length));
        end = at + 2 + length;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(",", _members.Select(m => $"{m.NodeId}={m.PeerAddress}/{m.ClientAddress}"));
}
