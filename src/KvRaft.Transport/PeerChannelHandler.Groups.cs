using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// Group frames (a process hosting several replica groups): parsed and checked like the plain frames, then handed to
/// the handler with their group id. A group id the frame format forbids closes the connection (a parse error); one
/// this node does not host is dropped, counted and logged once per group and connection, and the connection stays.
/// </summary>
internal sealed partial class PeerChannelHandler
{
    private const int UnknownGroupsLoggedMax = 16; // distinct unknown groups logged per connection; later ones only counted
    private HashSet<int>? _unknownGroupsLogged; // loop thread only

    private ParseResult OnGroupMessage(ReadOnlyMemory<byte> body)
    {
        var result = SplitGroup(body, out var groupId, out var inner);
        PeerMessage message = default;
        if (result.IsOk)
        {
            result = ParseMessage(inner, out message);
        }
        if (result.IsOk && !_transport.Handler.OnGroupPeerMessage(groupId, _connection!.Sender, message))
        {
            UnknownGroup("PeerMessage", groupId);
        }
        return result;
    }

    private ParseResult OnGroupChunk(ReadOnlyMemory<byte> body)
    {
        var result = SplitGroup(body, out var groupId, out var inner);
        SnapshotChunk chunk = default;
        if (result.IsOk)
        {
            result = ParseChunk(inner, out chunk);
        }
        if (result.IsOk && !_transport.Handler.OnGroupSnapshotChunk(groupId, _connection!.Sender, chunk))
        {
            SnapshotChunkPayloads.Release(chunk);
            UnknownGroup("SnapshotChunk", groupId);
        }
        return result;
    }

    /// <summary>The group id and inner body of a group frame; group 0 has the plain frames, so naming it here is malformed.</summary>
    private static ParseResult SplitGroup(ReadOnlyMemory<byte> body, out int groupId, out ReadOnlyMemory<byte> inner)
    {
        var result = GroupFrameCodec.Split(body, out groupId, out inner);
        return result.IsOk && groupId == 0 ? ParseResult.Fail(ProtocolError.Malformed, "group 0 travels in plain frames") : result;
    }

    private void UnknownGroup(string frame, int groupId)
    {
        _transport.Statistics.UnknownGroupFrame();
        _unknownGroupsLogged ??= [];
        if (_unknownGroupsLogged.Count < UnknownGroupsLoggedMax && _unknownGroupsLogged.Add(groupId))
        {
            TransportLog.UnknownGroup(_transport.Logger, _transport.Options.LocalNodeId, frame, _connection!.NodeId, groupId);
        }
    }
}
