namespace KvRaft.Transport;

/// <summary>Where another node of the cluster listens for peer connections.</summary>
public sealed record PeerEndpoint(int NodeId, string Host, int Port);
