namespace KvRaft.Protocol;

/// <summary>
/// Every size limit of the wire formats, in one place, and the root every other size limit is derived
/// from (the server builds its proposal bound, its storage limits and its client frame limit from these;
/// see docs/wire-format.md, "Limits"). A parser refuses (with <see cref="ProtocolError.TooLarge"/>) any
/// length or count above these; a formatter asserts it never writes one. The relations between them
/// (a maximal request fits one command batch, a batch fits one log entry, an entry fits one peer frame)
/// are checked when this assembly compiles (<see cref="SizeRelations"/>) and by unit tests.
/// </summary>
public static class ProtocolLimits
{
    /// <summary>The wire-format version written in every frame header.</summary>
    public const byte Version = 1;

    /// <summary>Largest frame, counted as the header's length field counts: version + type + body.</summary>
    public const int FrameBytesMax = 16 * 1024 * 1024;

    /// <summary>Largest key.</summary>
    public const int KeyBytesMax = 1024;

    /// <summary>Largest value (also an expected value of a compare-and-set).</summary>
    public const int ValueBytesMax = 1024 * 1024;

    /// <summary>
    /// Op fields of the largest write: a CompareAndSet with a maximal key, expected value and new value
    /// (key length, key, flags, expected length, expected, value length, value).
    /// </summary>
    public const int WriteFieldsBytesMax = 2 + KeyBytesMax + 1 + 4 + ValueBytesMax + 4 + ValueBytesMax;

    /// <summary>Largest encoded <see cref="KvCommand"/>: a maximal CompareAndSet with an identity (2,098,212 bytes: 2 MiB + 1,060).</summary>
    public const int CommandBytesMax = KvCommandCodec.FixedBytes + KvCommandCodec.IdentityBytes + WriteFieldsBytesMax;

    /// <summary>Largest client request body: a maximal CompareAndSet (request id, op, client id, sequence, fields).</summary>
    public const int RequestBodyBytesMax = ClientRequestCodec.FixedBytes + 8 + 8 + WriteFieldsBytesMax;

    /// <summary>
    /// Largest client request frame (length field: version + type + body). The client listener refuses a
    /// longer frame from its header alone: no legal request is longer.
    /// </summary>
    public const int RequestFrameBytesMax = 2 + RequestBodyBytesMax;

    /// <summary>
    /// Largest client request frame to a replica group (<see cref="FrameType.GroupClientRequest"/>: a group id in front
    /// of the body); the client listener's frame limit.
    /// </summary>
    public const int GroupRequestFrameBytesMax = RequestFrameBytesMax + GroupFrameCodec.GroupIdBytes;

    /// <summary>
    /// Largest data of one log entry (a command batch is one entry): 3 MiB. Room for one maximal command
    /// (2 MiB + 1,052 bytes) and then some; with the log record's 28-byte header and FasterLog's 4-byte length it
    /// fits the storage's 4 MiB log page (checked by the server at start), and with the Append framing one
    /// peer frame.
    /// </summary>
    public const int EntryDataBytesMax = 3 * 1024 * 1024;

    /// <summary>Most entries in one peer message.</summary>
    public const int EntriesPerAppendMax = 8192;

    /// <summary>Largest entries block of one peer message once decompressed (guards against compression bombs).</summary>
    public const int EntriesBlockBytesMax = 32 * 1024 * 1024;

    /// <summary>Most voters in a snapshot's configuration.</summary>
    public const int VotersMax = 64;

    /// <summary>Largest snapshot chunk payload, stored or decompressed.</summary>
    public const int SnapshotChunkBytesMax = 4 * 1024 * 1024;

    /// <summary>
    /// Replica groups a process may host (group ids 0 to GroupsMax - 1 on the wire; the shared log's
    /// <c>StorageLimits.LogGroupsMax</c> has the same default).
    /// </summary>
    public const int GroupsMax = 1024;

    /// <summary>Most commands in one command batch (one log entry).</summary>
    public const int CommandsPerBatchMax = 4096;

    /// <summary>Largest encoded command batch: exactly one log entry's data.</summary>
    public const int CommandBatchBytesMax = EntryDataBytesMax;

    /// <summary>Largest UTF-8 text field (error messages, client addresses).</summary>
    public const int TextBytesMax = 1024;

    /// <summary>
    /// The relations between the limits, as compile-time checks: each constant is a difference that
    /// must not be negative, and a negative constant does not convert to <see cref="uint"/>, so the
    /// build fails (CS0031) as soon as a change of a limit breaks one. The values are the slack.
    /// </summary>
    public static class SizeRelations
    {
        /// <summary>A maximal request (a maximal CompareAndSet) fits one command batch with the batch header.</summary>
        public const uint CommandInBatchSlackBytes = CommandBatchBytesMax - (KvCommandBatchCodec.HeaderBytes + CommandBytesMax);

        /// <summary>A maximal request frame passes the frame limit.</summary>
        public const uint RequestInFrameSlackBytes = FrameBytesMax - RequestFrameBytesMax;

        /// <summary>A maximal request frame to a replica group passes the frame limit.</summary>
        public const uint GroupRequestInFrameSlackBytes = FrameBytesMax - GroupRequestFrameBytesMax;

        /// <summary>An Append carrying one maximal entry (with its longest entry header: type, flags, index, term, length) fits one frame.</summary>
        public const uint EntryInFrameSlackBytes = FrameBytesMax - (2 + PeerMessageCodec.FixedBytes + PeerMessageCodec.EntriesHeaderBytes + EntryHeaderBytesMax + EntryDataBytesMax);

        /// <summary>One maximal entry fits an entries block.</summary>
        public const uint EntryInBlockSlackBytes = EntriesBlockBytesMax - (EntryHeaderBytesMax + EntryDataBytesMax);

        /// <summary>An Append carrying one maximal entry fits one frame with a group id in front (a group's peer message).</summary>
        public const uint GroupEntryInFrameSlackBytes = EntryInFrameSlackBytes - GroupFrameCodec.GroupIdBytes;

        /// <summary>A maximal snapshot chunk fits one frame with a group id in front.</summary>
        public const uint GroupChunkInFrameSlackBytes = ChunkInFrameSlackBytes - GroupFrameCodec.GroupIdBytes;

        /// <summary>A maximal snapshot chunk fits one frame.</summary>
        public const uint ChunkInFrameSlackBytes = FrameBytesMax - (2 + SnapshotChunkCodec.FixedBytes + SnapshotChunkBytesMax);

        /// <summary>An answer carrying a maximal value (Get, or a CompareAndSet's current value) fits one frame.</summary>
        public const uint ValueAnswerInFrameSlackBytes = FrameBytesMax - (2 + ClientResponseCodec.FixedBytes + 1 + 4 + ValueBytesMax);

        /// <summary>The longest header of one entry in an entries block: type, flags, index, term, data length.</summary>
        public const int EntryHeaderBytesMax = 1 + 1 + 8 + 8 + 4;
    }
}
