using KvRaft.Protocol.Sharding;

namespace KvRaft.Server.Node.Sharding;

/// <summary>What a group does with one shard (docs/design.md, "Sharding: configurations, migration, and why it is safe").</summary>
public enum ShardState : byte
{
    /// <summary>Not the group's in its configuration: requests for it get WrongGroup.</summary>
    NotOwned = 0,
    /// <summary>The group's, data here: served.</summary>
    Serving = 1,
    /// <summary>Became the group's in this configuration; its data is not here yet: not served.</summary>
    Pulling = 2,
    /// <summary>Was the group's before this configuration: not served, its data kept frozen for the new owner.</summary>
    Offering = 3,
    /// <summary>Installed here; the old owner has not confirmed that it dropped its copy: served.</summary>
    WaitingForDrop = 4,
}

/// <summary>What an old owner answers to a pull of (shard, configuration).</summary>
public enum PullAnswer : byte
{
    /// <summary>The shard is frozen here for that configuration: its data may be sent.</summary>
    Data = 0,
    /// <summary>This group has not applied that configuration yet: ask again later.</summary>
    NotYet = 1,
    /// <summary>This group is past that configuration, or never owned the shard in it: nothing to send.</summary>
    Gone = 2,
}

/// <summary>
/// One group's replicated view of its shards: its configuration, the one before it, and the state of every shard.
/// Changed only by applying entries of the group's own log (<see cref="Reconfigure"/>, <see cref="Installed"/>,
/// <see cref="Dropped"/>, <see cref="DropConfirmed"/>), in log order on every replica, so it is deterministic; an entry
/// that does not fit (stale, repeated, early) changes nothing and says so, since entries are proposed from remote
/// answers and may be repeated after a change of leader.
/// Invariants: <see cref="Current"/>.Number = <see cref="Previous"/>.Number + 1 (or both 0); a shard is Serving,
/// Pulling or WaitingForDrop only if the group owns it in Current, Offering only if it owned it in Previous and not in
/// Current; a configuration is left only when settled (every shard Serving or NotOwned).
/// </summary>
public sealed partial class GroupShards
{
    private readonly ShardState[] _states;
    // Per pulling shard: the index of the next chunk to install and the store key the installed chunks ended at (the
    // next chunk starts after it). Replicated like the states, so a new leader resumes the pull where it stood.
    private readonly int[] _nextChunk;
    private readonly byte[][] _cursor;

    /// <summary>Group <paramref name="groupId"/> at configuration 0 (owning nothing) of <paramref name="shardCount"/> shards.</summary>
    public GroupShards(int groupId, int shardCount)
    {
        Invariant.True(groupId > 0, groupId);
        GroupId = groupId;
        Current = Previous = ShardConfiguration.Initial(shardCount);
        _states = new ShardState[shardCount];
        _nextChunk = new int[shardCount];
        _cursor = new byte[shardCount][];
        Array.Fill(_cursor, []);
    }

    /// <summary>This group's id.</summary>
    public int GroupId { get; }

    /// <summary>The configuration the group is in.</summary>
    public ShardConfiguration Current { get; private set; }

    /// <summary>The configuration before it (where the owners of pulling shards are found).</summary>
    public ShardConfiguration Previous { get; private set; }

    /// <summary>The state of <paramref name="shard"/>.</summary>
    public ShardState StateOf(int shard) => _states[shard];

    /// <summary>True when requests for <paramref name="shard"/> are applied here.</summary>
    public bool Serves(int shard) => _states[shard] is ShardState.Serving or ShardState.WaitingForDrop;

    /// <summary>True when every shard is Serving or NotOwned: the group may move to the next configuration.</summary>
    public bool Settled => _states.All(state => state is ShardState.Serving or ShardState.NotOwned);

    /// <summary>The group that owned a pulling <paramref name="shard"/> before (where to pull it from).</summary>
    public int PullSource(int shard)
    {
        Invariant.True(_states[shard] == ShardState.Pulling, shard);
        return Previous.Owners[shard];
    }

    /// <summary>
    /// Applies configuration <paramref name="next"/> if it is the one after <see cref="Current"/> and the group is
    /// settled. A shard new to the group that nobody owned before starts Serving (empty); one that another group
    /// owned starts Pulling; one the group loses starts Offering. Returns false (nothing changed) otherwise.
    /// </summary>
    public bool Reconfigure(ShardConfiguration next)
    {
        if (next.Number != Current.Number + 1 || next.ShardCount != _states.Length || !Settled)
        {
            return false;
        }
        for (var shard = 0; shard < _states.Length; shard++)
        {
            bool ownedBefore = Current.Owners[shard] == GroupId, ownedAfter = next.Owners[shard] == GroupId;
            _nextChunk[shard] = 0;
            _cursor[shard] = [];
            _states[shard] = (ownedBefore, ownedAfter) switch
            {
                (true, true) => ShardState.Serving,
                (false, true) => Current.Owners[shard] == 0 ? ShardState.Serving : ShardState.Pulling,
                (true, false) => ShardState.Offering,
                _ => ShardState.NotOwned,
            };
        }
        Previous = Current;
        Current = next;
        return true;
    }

    /// <summary>What this group, as an old owner, answers to a pull of (<paramref name="shard"/>, configuration <paramref name="number"/>).</summary>
    public PullAnswer AnswerPull(int shard, long number)
    {
        if (shard < 0 || shard >= _states.Length || number > Current.Number)
        {
            return shard < 0 || shard >= _states.Length ? PullAnswer.Gone : PullAnswer.NotYet;
        }
        return number == Current.Number && _states[shard] == ShardState.Offering ? PullAnswer.Data : PullAnswer.Gone;
    }

    /// <summary>The shard's data for configuration <paramref name="number"/> is applied here: Pulling → WaitingForDrop. False if it does not fit.</summary>
    public bool Installed(int shard, long number) => Move(shard, number, ShardState.Pulling, ShardState.WaitingForDrop);

    /// <summary>The index of the next chunk a pulling <paramref name="shard"/> installs.</summary>
    public int NextChunk(int shard) => _nextChunk[shard];

    /// <summary>The store key the installed chunks of a pulling <paramref name="shard"/> ended at (empty before the first).</summary>
    public ReadOnlySpan<byte> Cursor(int shard) => _cursor[shard];

    /// <summary>
    /// Chunk <paramref name="chunk"/> of a pulling <paramref name="shard"/> for configuration <paramref name="number"/>,
    /// ending at store key <paramref name="cursor"/>, is applied here: the pull moves on; after the last chunk the shard
    /// is WaitingForDrop. False (nothing changed) unless it is the next chunk of a shard pulling for that configuration:
    /// a repeated or stale install changes nothing.
    /// </summary>
    public bool InstallChunk(int shard, long number, int chunk, bool isLast, byte[] cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (shard < 0 || shard >= _states.Length || number != Current.Number || _states[shard] != ShardState.Pulling || chunk != _nextChunk[shard])
        {
            return false;
        }
        if (isLast)
        {
            _states[shard] = ShardState.WaitingForDrop;
            _nextChunk[shard] = 0;
            _cursor[shard] = [];
            return true;
        }
        _nextChunk[shard] = chunk + 1;
        _cursor[shard] = cursor;
        return true;
    }

    /// <summary>This old owner dropped its copy for configuration <paramref name="number"/>: Offering → NotOwned. False if it does not fit.</summary>
    public bool Dropped(int shard, long number) => Move(shard, number, ShardState.Offering, ShardState.NotOwned);

    /// <summary>The old owner confirmed the drop for configuration <paramref name="number"/>: WaitingForDrop → Serving. False if it does not fit.</summary>
    public bool DropConfirmed(int shard, long number) => Move(shard, number, ShardState.WaitingForDrop, ShardState.Serving);

    private bool Move(int shard, long number, ShardState from, ShardState to)
    {
        if (shard < 0 || shard >= _states.Length || number != Current.Number || _states[shard] != from)
        {
            return false;
        }
        _states[shard] = to;
        return true;
    }
}
