// The plain data a Raft node is made of and speaks in. Everything here is JSON: a node's state can be
// copied, saved, sent to a browser and replayed (the idea of ongardie/raftscope). Section numbers refer to
// the extended Raft paper: Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm" (2014).

export type NodeId = string;
export type Role = 'follower' | 'candidate' | 'leader';

// #region entry
/** One slot of the replicated log. `command: null` is the no-op a new leader appends (§8). */
export interface Entry {
  index: number; // 1, 2, 3, … (0 means "before the first entry")
  term: number; // the term of the leader that created it
  command: unknown; // opaque to Raft: the state machine above decides what it means
}
// #endregion entry

/** The state machine's image at `lastIndex`, standing in for the log entries up to there (§7). */
export interface Snapshot {
  lastIndex: number;
  lastTerm: number;
  data: unknown;
}

// #region messages
/** §5.2: a candidate asks for a vote, describing how up to date its log is (§5.4.1). */
export interface RequestVote {
  type: 'RequestVote';
  from: NodeId;
  to: NodeId;
  term: number;
  lastLogIndex: number;
  lastLogTerm: number;
}
export interface RequestVoteReply {
  type: 'RequestVoteReply';
  from: NodeId;
  to: NodeId;
  term: number;
  granted: boolean;
}
/** §5.3: the leader replicates entries (none = a heartbeat), naming the entry just before them. */
export interface AppendEntries {
  type: 'AppendEntries';
  from: NodeId;
  to: NodeId;
  term: number;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}
/**
 * success: the follower's log now matches the leader's up to `matchIndex`.
 * Refused: `conflictTerm`/`conflictIndex` let the leader skip a whole term at once (§5.3, "fast backup"):
 * conflictTerm is the term the follower has at prevLogIndex (null: its log is too short) and conflictIndex the
 * first index the leader should try next.
 */
export interface AppendEntriesReply {
  type: 'AppendEntriesReply';
  from: NodeId;
  to: NodeId;
  term: number;
  success: boolean;
  matchIndex: number;
  conflictTerm: number | null;
  conflictIndex: number;
}
/** §7: a follower too far behind gets the leader's snapshot instead of entries it no longer has. */
export interface InstallSnapshot {
  type: 'InstallSnapshot';
  from: NodeId;
  to: NodeId;
  term: number;
  snapshot: Snapshot;
}
export interface InstallSnapshotReply {
  type: 'InstallSnapshotReply';
  from: NodeId;
  to: NodeId;
  term: number;
  matchIndex: number;
}
export type Message =
  | RequestVote
  | RequestVoteReply
  | AppendEntries
  | AppendEntriesReply
  | InstallSnapshot
  | InstallSnapshotReply;
// #endregion messages

// #region config
export interface Config {
  id: NodeId;
  /** Every member, this node included, e.g. ['n1', 'n2', 'n3', 'n4', 'n5']. */
  members: NodeId[];
  /** A follower waits a random number of ticks in [min, max] without hearing a leader before it campaigns. */
  electionTicks: [number, number];
  /** A leader sends heartbeats every this many ticks; must be well below electionTicks[0]. */
  heartbeatTicks: number;
  /** The randomness for election timeouts, passed in: the core draws from this seed, deterministically. */
  seed: number;
  /** At most this many entries in one AppendEntries (batching, and a cap on message size). */
  maxEntriesPerMessage: number;
}
// #endregion config

/** What a node must find on disk after a restart (Figure 2, "Persistent state on all servers"). */
export interface Persisted {
  term: number;
  votedFor: NodeId | null;
  snapshot: Snapshot | null;
  entries: Entry[]; // the log after the snapshot, in order
}

/** The leader's view of one follower: how far it matches and where to send next (Figure 2). */
export interface Progress {
  matchIndex: number;
  nextIndex: number;
  /**
   * probe: we do not know where the follower's log ends; send one AppendEntries per heartbeat or reply.
   * replicate: it accepted our last message; stream new entries to it without waiting (pipelining).
   */
  mode: 'probe' | 'replicate';
  /** Heard from since the last quorum check (a leader that hears no majority steps down). */
  active: boolean;
}

export interface RaftNode {
  config: Config;
  // Persistent (Figure 2): written to disk before the node answers anyone.
  term: number;
  votedFor: NodeId | null;
  snapshot: Snapshot | null;
  log: Entry[]; // entries after the snapshot; log[0].index === snapshotIndex + 1
  // Volatile.
  role: Role;
  leaderId: NodeId | null;
  commitIndex: number;
  lastApplied: number;
  electionElapsed: number;
  electionTimeout: number;
  heartbeatElapsed: number;
  random: number; // the state of the seeded generator for election timeouts
  logDirtyFrom: number; // lowest log index changed since the last ready(); 0 = none
  votes: Record<NodeId, boolean>; // candidate only: who answered, and how
  progress: Record<NodeId, Progress>; // leader only
  out: Ready; // what the last calls produced, collected until ready() hands it over
}

// #region ready
/**
 * What a node hands to its adapter after tick/step/propose. The adapter's duties, in this order:
 * 1. persist: make `hardState`, `snapshot` and the log change durable (fsync) — before anything else;
 * 2. send `messages` (only now: a vote or an acknowledgement must never get ahead of the disk);
 * 3. apply: restore `applySnapshot` if present, then apply `committed` entries in order to the state machine.
 */
export interface Ready {
  hardState: { term: number; votedFor: NodeId | null } | null;
  snapshot: Snapshot | null;
  /** Log change: drop every stored entry with index ≥ truncateFrom, then append `entries`. */
  log: { truncateFrom: number; entries: Entry[] } | null;
  messages: Message[];
  applySnapshot: Snapshot | null;
  committed: Entry[];
}
// #endregion ready
