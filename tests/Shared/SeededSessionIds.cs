// Goal (shared by the test projects that simulate nodes): session ids for a simulated node that are random-looking yet replay with the seed (production uses the OS's cryptographic generator).
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Testing;

/// <summary>Session ids from a PRNG seeded by the node's seed: the same run replays the same ids.</summary>
internal sealed class SeededSessionIds(ulong seed) : ISessionIdSource
{
    private readonly Prng _random = new(seed ^ 0x5E55_1011_D5EE_D5EE);

    public ulong NextId()
    {
        ulong id;
        do
        {
            id = _random.NextUInt64();
        }
        while (id == 0);
        return id;
    }
}
