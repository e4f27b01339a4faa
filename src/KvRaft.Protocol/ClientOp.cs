namespace KvRaft.Protocol;

/// <summary>Client operations. The write ops (and RegisterSession) are also the ops of a <see cref="KvCommand"/>.</summary>
public enum ClientOp : byte
{
    /// <summary>Open a session: the answer carries a new client id.</summary>
    RegisterSession = 1,
    /// <summary>Read a key.</summary>
    Get = 2,
    /// <summary>Set a key.</summary>
    Put = 3,
    /// <summary>Append bytes to a key's value (creating it when absent).</summary>
    Append = 4,
    /// <summary>Remove a key.</summary>
    Delete = 5,
    /// <summary>Set a key only if its value is the expected one (or it is absent, when so asked).</summary>
    CompareAndSet = 6,
    /// <summary>Report the node's Raft state.</summary>
    Status = 7,
    /// <summary>
    /// Hand leadership to a node (0: the leader's choice, its most caught-up reachable follower); answered once another
    /// node leads, with its id.
    /// </summary>
    TransferLeader = 8,
    /// <summary>
    /// List the members (voters, learners, the joint state) with their addresses; the leader adds each one's match
    /// index. Served by the leader, or by any node when the request asks for its local view.
    /// </summary>
    MemberList = 9,
    /// <summary>Add a node as a learner with its peer and client addresses; answered once the leader applied the change.</summary>
    AddLearner = 10,
    /// <summary>Make a learner a voter; answered once the leader applied the change.</summary>
    PromoteLearner = 11,
    /// <summary>Take a member (voter or learner) out of the configuration; answered once the leader applied the change.</summary>
    RemoveMember = 12,
    /// <summary>
    /// Sharded clusters: shard configuration k (−1: the latest) of the controller (group 0); the answer carries it
    /// (docs/design.md, "Sharding: configurations, migration, and why it is safe").
    /// </summary>
    ShardQuery = 13,
    /// <summary>Sharded clusters: a group (hosted by the processes) joins the configuration; a session write of group 0.</summary>
    GroupJoin = 14,
    /// <summary>Sharded clusters: a group leaves the configuration (not the last one); a session write of group 0.</summary>
    GroupLeave = 15,
    /// <summary>Sharded clusters: one shard is given to a group of the configuration; a session write of group 0.</summary>
    ShardMove = 16,
}

/// <summary>Bounds of the op codes.</summary>
public static class ClientOps
{
    /// <summary>The highest status code.</summary>
    public const ClientStatus LastStatus = ClientStatus.WrongGroup;

    /// <summary>The highest op code.</summary>
    public const ClientOp Last = ClientOp.ShardMove;

    /// <summary>The ops that change the membership (they name a node in <see cref="ClientRequest.TargetNodeId"/>).</summary>
    public static bool IsMemberChange(ClientOp op) => op is ClientOp.AddLearner or ClientOp.PromoteLearner or ClientOp.RemoveMember;

    /// <summary>The shard controller's writes (group 0's log): they name a group, and ShardMove a shard.</summary>
    public static bool IsControllerWrite(ClientOp op) => op is ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove;
}

/// <summary>The outcome of a client request.</summary>
public enum ClientStatus : byte
{
    /// <summary>Done; the body depends on the op.</summary>
    Ok = 0,
    /// <summary>The key is absent (Get).</summary>
    NotFound = 1,
    /// <summary>This node is not the leader; the body names the leader when known.</summary>
    NotLeader = 2,
    /// <summary>Not done, safe to retry (proposal lost to a leader change, busy); the body has a message.</summary>
    Retryable = 3,
    /// <summary>The client's session is unknown or expired: register again.</summary>
    SessionExpired = 4,
    /// <summary>The request is invalid; the body has a message.</summary>
    InvalidArgument = 5,
    /// <summary>The node failed; the body has a message.</summary>
    InternalError = 6,
    /// <summary>
    /// The request is too large (a key or value over its limit, or a value an Append would grow past
    /// <see cref="ProtocolLimits.ValueBytesMax"/>); never applied, and not worth retrying. The body has a message.
    /// </summary>
    TooLarge = 7,
    /// <summary>
    /// The write names a session registered by another client identity (another client certificate, when the
    /// client port requires them); not applied. The body has a message. Register a session of your own.
    /// </summary>
    SessionNotOwned = 8,
    /// <summary>
    /// RegisterSession refused: this client identity already holds its quota of live sessions; nothing changed.
    /// The body has a message. Reuse the sessions you hold.
    /// </summary>
    TooManySessions = 9,
    /// <summary>
    /// Sharded clusters: the request's group does not serve the key's shard (or is not hosted here, or is the
    /// controller, which serves no keys); not applied, no trace left. The body is the group's configuration number:
    /// ask the controller for a configuration at least that new, and resend the same request to the key's owner.
    /// </summary>
    WrongGroup = 10,
}

/// <summary>A node's Raft role.</summary>
public enum NodeRole : byte
{
    /// <summary>Follower.</summary>
    Follower = 0,
    /// <summary>Pre-candidate (pre-vote phase).</summary>
    PreCandidate = 1,
    /// <summary>Candidate.</summary>
    Candidate = 2,
    /// <summary>Leader.</summary>
    Leader = 3,
}
