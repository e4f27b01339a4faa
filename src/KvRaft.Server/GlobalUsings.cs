// The Raft core's assertions (the other projects keep their own copies).
global using Invariant = KvRaft.Raft.Invariant;
