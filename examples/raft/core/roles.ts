// Creating a node and moving it between roles (Figure 4: follower → candidate → leader, and back to
// follower on seeing a higher term). Every role change is one named function.
import { lastIndex, replaceFrom } from './log.ts';
import type { Config, Entry, Message, NodeId, Persisted, RaftNode, Ready } from './types.ts';

export function emptyReady(): Ready {
  return { hardState: null, snapshot: null, log: null, messages: [], applySnapshot: null, committed: [] };
}

/** A node as it starts: from nothing, or from what it persisted before a crash. It starts as a follower. */
export function createNode(config: Config, persisted?: Persisted): RaftNode {
  const snapshot = persisted?.snapshot ?? null;
  const node: RaftNode = {
    config,
    term: persisted?.term ?? 0,
    votedFor: persisted?.votedFor ?? null,
    snapshot,
    log: persisted === undefined ? [] : persisted.entries.filter((e) => e.index > (snapshot?.lastIndex ?? 0)),
    role: 'follower',
    leaderId: null,
    // What was committed and applied is volatile (Figure 2): the snapshot is all a restart can count on.
    commitIndex: snapshot?.lastIndex ?? 0,
    lastApplied: snapshot?.lastIndex ?? 0,
    electionElapsed: 0,
    electionTimeout: 0,
    heartbeatElapsed: 0,
    random: config.seed >>> 0,
    logDirtyFrom: 0,
    votes: {},
    progress: {},
    out: emptyReady(),
  };
  resetElectionTimer(node);
  return node;
}

/** A new random election timeout in [min, max] ticks (§5.2: randomness makes split votes rare). */
export function resetElectionTimer(node: RaftNode): void {
  const [min, max] = node.config.electionTicks;
  node.electionElapsed = 0;
  node.electionTimeout = min + Math.floor(nextRandom(node) * (max - min + 1));
}

// mulberry32 (examples/shared/random.ts), written out here because a core imports nothing from outside, over
// a number kept in the node's state: deterministic for a given seed, and the state stays plain data. Its mixing
// matters: neighbouring seeds (1, 2, 3 …, as a cluster's nodes often get) must give unrelated timeouts, or the
// nodes time out together and split the vote.
// Stryker disable all: its constants only scramble; the tests pin the timeouts' range and spread instead.
function nextRandom(node: RaftNode): number {
  node.random = (node.random + 0x6d2b79f5) >>> 0;
  let t = node.random;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
// Stryker restore all

export function peers(node: RaftNode): NodeId[] {
  return node.config.members.filter((id) => id !== node.config.id);
}

export function isMajority(node: RaftNode, count: number): boolean {
  return count * 2 > node.config.members.length;
}

export function send(node: RaftNode, message: Message): void {
  node.out.messages.push(message);
}

/** Term and vote changed: they must reach the disk before any message of this step leaves. */
function persistHardState(node: RaftNode): void {
  node.out.hardState = { term: node.term, votedFor: node.votedFor };
}

export function setVote(node: RaftNode, votedFor: NodeId): void {
  node.votedFor = votedFor;
  persistHardState(node);
}

// #region become
/** §5.1: a node that sees a higher term (or a current leader) becomes its follower. */
export function becomeFollower(node: RaftNode, term: number, leaderId: NodeId | null): void {
  if (term > node.term) {
    node.term = term;
    node.votedFor = null; // a new term: this node has not voted in it yet
    persistHardState(node);
  }
  node.role = 'follower';
  node.leaderId = leaderId;
  node.votes = {};
  node.progress = {};
  resetElectionTimer(node);
}

/** §5.2: start an election: a new term, a vote for itself, a fresh random timeout. */
export function becomeCandidate(node: RaftNode): void {
  node.term += 1;
  node.votedFor = node.config.id;
  persistHardState(node);
  node.role = 'candidate';
  node.leaderId = null;
  node.votes = { [node.config.id]: true };
  node.progress = {};
  resetElectionTimer(node);
}

/** §5.2, §8: a majority voted for us. Start every follower in probe mode and append a no-op of our term. */
export function becomeLeader(node: RaftNode): void {
  node.role = 'leader';
  node.leaderId = node.config.id;
  node.votes = {};
  node.heartbeatElapsed = 0;
  node.electionElapsed = 0;
  const next = lastIndex(node) + 1;
  node.progress = {};
  for (const id of peers(node)) node.progress[id] = { matchIndex: 0, nextIndex: next, mode: 'probe', active: true };
  const noop: Entry = { index: next, term: node.term, command: null };
  replaceFrom(node, next, [noop]);
}
// #endregion become
