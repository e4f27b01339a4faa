// Goal: a client connection's identity digest names the set of its certificate's names: 0 without a certificate, the same whatever order the names come in, different for different names, even when their concatenations agree; method: ClientIdentity.Of on hand-made name lists.
namespace KvRaft.Transport.Tests;

public sealed class ClientIdentityTests
{
    [Fact]
    public void No_certificate_is_identity_zero_and_a_certificate_never_is()
    {
        Assert.Equal(ClientIdentity.None, ClientIdentity.Of(null));
        Assert.NotEqual(ClientIdentity.None, ClientIdentity.Of([]));
        Assert.NotEqual(ClientIdentity.None, ClientIdentity.Of(["kvraft-client"]));
    }

    [Fact]
    public void The_order_of_the_names_does_not_matter_and_other_names_are_another_identity()
    {
        Assert.Equal(ClientIdentity.Of(["alice", "alice.example"]), ClientIdentity.Of(["alice.example", "alice"]));
        Assert.NotEqual(ClientIdentity.Of(["alice"]), ClientIdentity.Of(["mallory"]));
        Assert.NotEqual(ClientIdentity.Of(["alice"]), ClientIdentity.Of(["alice", "alice"])); // a CN repeated as a DNS name counts
        Assert.NotEqual(ClientIdentity.Of(["ab", "c"]), ClientIdentity.Of(["a", "bc"])); // each name is length-prefixed
    }
}
