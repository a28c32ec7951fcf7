// One store node's pure core: everything a node decides, as a function of what it has and what arrives.
//
// `step(state, input)` takes one input (a tick of the clock, a client request, a message from a peer, a
// membership change), updates `state` in place, and returns its effects: what to write to disk, which
// messages to send and which clients to answer. The adapter (Node server, simulator, browser) must write the
// changes to disk BEFORE it sends anything of the same step: a vote or an acknowledgement is a promise, and a
// promise made by a node that then forgets it after a crash is worth nothing.
//
// What the node does (docs/data-store/04-replication.md and 05-consistency.md tell the story):
//  - keys are placed on a ring (ring.ts); the first `replicas` distinct nodes clockwise hold a key's copies
//    (Dynamo §4.3). Keys with the same SET of replicas form a GROUP, and each group elects a leader.
//  - every key has two independent sides, because their rules for merging copies differ:
//      STRONG data is one value per key with a version (term, seq) handed out by the group's leader; of two
//      copies, the higher version wins. Only the leader writes it, and only with a majority.
//      EVENTUAL data is a set of siblings with a version vector (versions.ts); any replica writes it, and
//      copies are merged so that no write one side did not see is lost.
//    A strong write must never come back as a sibling of a later one; an eventual write must never be
//    dropped because a newer term began. One merge rule cannot do both, so the two are kept apart.
//  - election: Raft's vote rule (Ongaro & Ousterhout 2014, §5.2) without its log check. Terms fence: a node
//    refuses every message from an older term. Because our election does not pick the most up-to-date node,
//    the winner first takes, key by key, the highest version among the majority that voted for it (every
//    write a majority stored is in there: two majorities always share a node; Paxos's phase 1 does the
//    same), and serves only once a majority holds the result.
//  - strong requests go through the leader: writes are acknowledged once a majority stores them, reads once
//    a majority confirms the leader still leads (Raft §8). A minority side of a partition can do neither.
//  - eventual requests go to any replica: written there, answered at once, copied to the others later;
//    concurrent writes become siblings and anti-entropy reconciles replicas after a partition heals.

import { createRing, hashString, preferenceList, type Ring } from './ring.ts';
import { compare, empty, put, read, reconcile, remove, type Stored } from './versions.ts';
import type {
  ClientRequest,
  Change,
  Effects,
  GroupState,
  Inflight,
  Input,
  NodeState,
  Outcome,
  PeerMessage,
  StoreConfig,
  StrongValue,
  UnavailableReason,
  Version,
} from './types.ts';

/** What a node keeps on disk: its terms and votes, its data, its pending strong writes. */
export interface Saved {
  terms: Record<string, { term: number; votedFor: string | null }>;
  store: Record<string, Stored<string>>;
  strong: Record<string, StrongValue>;
  pending: Record<string, StrongValue>;
}

/** Fold a node's persisted changes, oldest first, into what it had on disk (the adapter's log replay). */
export function replay(changes: readonly Change[]): Saved {
  const saved: Saved = { terms: {}, store: {}, strong: {}, pending: {} };
  for (const change of changes) {
    if (change.kind === 'term') saved.terms[change.group] = { term: change.term, votedFor: change.votedFor };
    else if (change.kind === 'store') setOrDelete(saved.store, change.key, change.stored);
    else if (change.kind === 'strong') setOrDelete(saved.strong, change.key, change.value);
    else setOrDelete(saved.pending, change.key, change.write);
  }
  return saved;
}

function setOrDelete<T>(record: Record<string, T>, key: string, value: T | null): void {
  if (value === null) delete record[key];
  else record[key] = value;
}

// #region versions
/** Which of two strong versions is later: the higher term, then the higher sequence number. */
export function newer(a: Version, b: Version | undefined): boolean {
  return b === undefined || a.term > b.term || (a.term === b.term && a.seq > b.seq);
}
// #endregion versions

// #region groups
/** The group of a key: the sorted set of its replicas, named by joining them with "+". */
export function groupOf(ring: Ring, key: string, replicas: number): { id: string; replicas: string[] } {
  const nodes = preferenceList(ring, key, replicas).sort();
  return { id: nodes.join('+'), replicas: nodes };
}

/** Every group the ring makes: one per distinct replica set, found by starting a preference list at each token. */
export function ringGroups(ring: Ring, replicas: number): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  const wanted = Math.min(replicas, ring.nodes.length);
  for (let start = 0; start < ring.tokens.length; start++) {
    const nodes: string[] = [];
    for (let i = start; nodes.length < wanted; i = (i + 1) % ring.tokens.length) {
      const node = ring.tokens[i]!.node;
      if (!nodes.includes(node)) nodes.push(node);
    }
    nodes.sort();
    groups[nodes.join('+')] = nodes;
  }
  return groups;
}
// #endregion groups

/** The number of replicas that make a majority of a group: 2 of 3, 3 of 5. */
export function majority(replicas: readonly string[]): number {
  return Math.floor(replicas.length / 2) + 1;
}

/**
 * When a follower of `group` in `term` gives up on its leader: between 1x and 2x the election timeout after
 * `now`. The point in that range comes from a hash of (node, group, term), not from a random number, so the
 * core stays deterministic and yet two nodes (or two terms) rarely pick the same moment (Raft §5.2 uses
 * random timeouts for the same reason).
 */
export function electionDeadline(config: StoreConfig, group: string, term: number, now: number): number {
  const spread = hashString(`${config.id}|${group}|${term}`) % config.electionTimeoutMs;
  return now + config.electionTimeoutMs + spread;
}

export function createNode(config: StoreConfig, members: readonly string[], saved: Saved | undefined, now: number): NodeState {
  const state: NodeState = {
    config,
    members: [],
    ring: createRing([], config.vnodes),
    store: { ...saved?.store },
    strong: { ...saved?.strong },
    pending: {},
    groups: {},
    terms: { ...saved?.terms },
    groupOfKey: {},
    inflight: [],
    handoffs: {},
    antiEntropyAt: now + config.antiEntropyMs,
    now,
  };
  // A node that restarts leads nothing: writes it was leading are now like any follower's copy.
  for (const [key, write] of Object.entries(saved?.pending ?? {})) {
    if (newer(write, state.strong[key])) state.strong[key] = write;
  }
  setMembers(state, members);
  return state;
}

function setMembers(state: NodeState, members: readonly string[]): void {
  const { config } = state;
  state.members = [...new Set(members)].sort();
  state.ring = createRing(state.members, config.vnodes);
  state.groupOfKey = {};
  const mine = Object.entries(ringGroups(state.ring, config.replicas)).filter(([, nodes]) => nodes.includes(config.id));
  const groups: Record<string, GroupState> = {};
  for (const [id, replicas] of mine) {
    // A group this node was in before keeps its term and vote: voting twice in one term could elect two leaders.
    const saved = state.terms[id] ?? { term: 0, votedFor: null };
    groups[id] = state.groups[id] ?? {
      id,
      replicas,
      term: saved.term,
      votedFor: saved.votedFor,
      role: 'follower',
      leader: null,
      electionAt: electionDeadline(config, id, saved.term, state.now),
      votes: {},
      ready: false,
      synced: [],
      heardFrom: {},
      round: 0,
      acked: {},
      heartbeatAt: 0,
      seq: 0,
      unconfirmed: {},
    };
  }
  state.groups = groups;
}

/** One input in, effects out. Mutates `state`. */
export function step(state: NodeState, input: Input): Effects {
  const fx: Effects = { changes: [], messages: [], replies: [] };
  state.now = Math.max(state.now, input.now);
  if (input.type === 'tick') tick(state, fx);
  else if (input.type === 'request') onRequest(state, fx, input.request);
  else if (input.type === 'message') onMessage(state, fx, input.message);
  else changeMembers(state, fx, input.members);
  return fx;
}

/** The earliest time at which a tick would do something (the adapter may sleep until then). */
export function nextWakeup(state: NodeState): number {
  let next = state.antiEntropyAt;
  for (const g of Object.values(state.groups)) next = Math.min(next, g.role === 'leader' ? g.heartbeatAt : g.electionAt);
  for (const f of state.inflight) next = Math.min(next, f.since + state.config.requestTimeoutMs);
  return next;
}

// ---------------------------------------------------------------------------------------------------------
// Time passing: heartbeats, elections, timeouts, anti-entropy.

function tick(state: NodeState, fx: Effects): void {
  const { now, config } = state;
  for (const g of Object.values(state.groups)) {
    if (g.role === 'leader') {
      if (lostMajority(state, g)) stepDown(state, fx, g, null);
      else if (now >= g.heartbeatAt) sendHeartbeats(state, fx, g);
    } else if (now >= g.electionAt) {
      startElection(state, fx, g);
    }
  }
  for (const f of [...state.inflight]) {
    if (now - f.since < config.requestTimeoutMs) continue;
    if (f.write) finish(state, fx, f, { kind: 'unknown', message: `no majority of ${f.group} confirmed the write within ${config.requestTimeoutMs} ms; it may or may not have been applied` });
    else finish(state, fx, f, unavailable('no-majority', `no majority of ${f.group} answered within ${config.requestTimeoutMs} ms; nothing was changed`));
  }
  if (now >= state.antiEntropyAt) {
    state.antiEntropyAt = now + config.antiEntropyMs;
    antiEntropy(state, fx);
  }
}

// #region fence
/**
 * Every message about a group carries the sender's term. A newer term means an election happened that this
 * node missed: it adopts the term and, if it was leading, steps down. An OLDER term means the sender is a
 * deposed leader (or a candidate that lost) that has not heard yet: its message is refused, and the answer
 * tells it the newer term. This is the fence: a leader cut off by a partition may still believe it leads,
 * but no follower that has moved on will store its writes, so it can never gather a majority again.
 */
function fence(state: NodeState, fx: Effects, g: GroupState, msg: PeerMessage & { term: number }): boolean {
  if (msg.term > g.term) {
    const wasLeader = g.role === 'leader';
    g.term = msg.term;
    g.votedFor = null;
    saveTerm(state, fx, g);
    if (wasLeader) stepDown(state, fx, g, null);
    else becomeFollower(state, g, null);
  }
  if (msg.term < g.term) {
    const asks = msg.type === 'heartbeat' || msg.type === 'replicate' || msg.type === 'sync' || msg.type === 'vote-request';
    if (asks) send(fx, { type: 'stale', from: state.config.id, to: msg.from, group: g.id, term: g.term });
    return false;
  }
  return true;
}
// #endregion fence

function becomeFollower(state: NodeState, g: GroupState, leader: string | null): void {
  g.role = 'follower';
  g.leader = leader;
  g.ready = false;
  g.votes = {};
  g.electionAt = electionDeadline(state.config, g.id, g.term, state.now);
}

// #region election
function startElection(state: NodeState, fx: Effects, g: GroupState): void {
  const data = groupStrong(state, g.id);
  // Above every version it holds, too: keys handed over from another group after a membership change carry
  // that group's terms, and this group's writes must still come out newer.
  g.term = Math.max(g.term, ...Object.values(data).map((v) => v.term)) + 1;
  g.votedFor = state.config.id;
  g.role = 'candidate';
  g.leader = null;
  g.votes = { [state.config.id]: data };
  g.electionAt = electionDeadline(state.config, g.id, g.term, state.now);
  saveTerm(state, fx, g);
  for (const peer of others(state, g)) send(fx, { type: 'vote-request', from: state.config.id, to: peer, group: g.id, term: g.term });
  if (Object.keys(g.votes).length >= majority(g.replicas)) becomeLeader(state, fx, g);
}

/** A voter grants one vote per term (remembered on disk before it answers) and hands over its strong data. */
function onVoteRequest(state: NodeState, fx: Effects, g: GroupState, msg: Extract<PeerMessage, { type: 'vote-request' }>): void {
  const granted = g.role !== 'leader' && (g.votedFor === null || g.votedFor === msg.from);
  if (granted) {
    g.votedFor = msg.from;
    g.electionAt = electionDeadline(state.config, g.id, g.term, state.now);
    saveTerm(state, fx, g);
  }
  const data = granted ? groupStrong(state, g.id) : null;
  send(fx, { type: 'vote', from: state.config.id, to: msg.from, group: g.id, term: g.term, granted, data });
}

function onVote(state: NodeState, fx: Effects, g: GroupState, msg: Extract<PeerMessage, { type: 'vote' }>): void {
  if (g.role !== 'candidate' || !msg.granted || msg.data === null) return;
  g.votes[msg.from] = msg.data;
  if (Object.keys(g.votes).length >= majority(g.replicas)) becomeLeader(state, fx, g);
}

/**
 * The winner takes, key by key, the highest version its voters hold: a write a majority stored is among
 * them, and no later write can have been acknowledged without this majority hearing of it. It then copies
 * the result to its followers and serves only once a majority has it (`ready`), so what it serves can never
 * vanish in the next election.
 */
function becomeLeader(state: NodeState, fx: Effects, g: GroupState): void {
  g.role = 'leader';
  g.leader = state.config.id;
  g.ready = false;
  g.synced = [];
  g.round = 0;
  g.acked = {};
  g.seq = 0;
  g.unconfirmed = {};
  g.heardFrom = Object.fromEntries(others(state, g).map((peer) => [peer, state.now]));
  for (const data of Object.values(g.votes)) {
    for (const [key, value] of Object.entries(data)) storeStrong(state, fx, key, value);
  }
  g.votes = {};
  if (1 >= majority(g.replicas)) g.ready = true;
  sendHeartbeats(state, fx, g);
}
// #endregion election

function sendHeartbeats(state: NodeState, fx: Effects, g: GroupState): void {
  g.round += 1;
  g.heartbeatAt = state.now + state.config.heartbeatMs;
  const unsynced = others(state, g).filter((peer) => !g.synced.includes(peer));
  const data = unsynced.length > 0 ? groupStrong(state, g.id) : {};
  for (const peer of others(state, g)) {
    const base = { from: state.config.id, to: peer, group: g.id, term: g.term };
    if (unsynced.includes(peer)) send(fx, { type: 'sync', ...base, data });
    send(fx, { type: 'heartbeat', ...base, round: g.round });
    // A committed write this follower has not confirmed for a while: send it again (the message was lost).
    for (const [key, since] of Object.entries(g.unconfirmed[peer] ?? {})) {
      if (state.now - since >= 2 * state.config.heartbeatMs && state.strong[key]) {
        send(fx, { type: 'replicate', ...base, key, write: state.strong[key]! });
      }
    }
  }
}

function lostMajority(state: NodeState, g: GroupState): boolean {
  const recent = Object.values(g.heardFrom).filter((t) => state.now - t < state.config.electionTimeoutMs).length;
  return recent + 1 < majority(g.replicas);
}

function stepDown(state: NodeState, fx: Effects, g: GroupState, leader: string | null): void {
  becomeFollower(state, g, leader);
  for (const f of [...state.inflight]) {
    if (f.group !== g.id) continue;
    if (f.write) finish(state, fx, f, { kind: 'unknown', message: `${state.config.id} stopped leading ${g.id} before a majority confirmed the write; it may or may not have been applied` });
    else finish(state, fx, f, unavailable('stepped-down', `${state.config.id} stopped leading ${g.id} (a newer term, or no majority); nothing was changed, retry`));
  }
  // Its unconfirmed writes are now just its own copies, as a follower would hold them.
  for (const [key, write] of Object.entries(state.pending)) {
    if (keyGroup(state, key) !== g.id) continue;
    setPending(state, fx, key, null);
    storeStrong(state, fx, key, write);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Messages between nodes.

function onMessage(state: NodeState, fx: Effects, msg: PeerMessage): void {
  if (msg.to !== state.config.id) return;
  switch (msg.type) {
    case 'gossip':
      if (keyReplicas(state, msg.key).includes(state.config.id)) storeMerge(state, fx, msg.key, msg.stored);
      return;
    case 'digest':
      if (state.groups[msg.group] && msg.digest !== digest(state, msg.group)) {
        send(fx, { type: 'exchange', from: state.config.id, to: msg.from, group: msg.group, data: groupStore(state, msg.group), reply: true });
      }
      return;
    case 'exchange':
      if (!state.groups[msg.group]) return;
      for (const [key, stored] of Object.entries(msg.data)) {
        if (keyGroup(state, key) === msg.group) storeMerge(state, fx, key, stored);
      }
      if (msg.reply) send(fx, { type: 'exchange', from: state.config.id, to: msg.from, group: msg.group, data: groupStore(state, msg.group), reply: false });
      return;
    case 'handoff':
      onHandoff(state, fx, msg);
      return;
    case 'handoff-ok':
      onHandoffOk(state, fx, msg);
      return;
  }
  const g = state.groups[msg.group];
  if (!g || !g.replicas.includes(msg.from)) return; // not a group this node is in (membership differs)
  if (!fence(state, fx, g, msg)) return;
  switch (msg.type) {
    case 'vote-request':
      onVoteRequest(state, fx, g, msg);
      return;
    case 'vote':
      onVote(state, fx, g, msg);
      return;
    case 'heartbeat':
      followLeader(state, g, msg.from);
      send(fx, { type: 'heartbeat-ok', from: state.config.id, to: msg.from, group: g.id, term: g.term, round: msg.round });
      return;
    case 'heartbeat-ok':
      if (g.role !== 'leader') return;
      g.heardFrom[msg.from] = state.now;
      g.acked[msg.from] = Math.max(g.acked[msg.from] ?? 0, msg.round);
      finishReads(state, fx, g);
      return;
    case 'sync':
      followLeader(state, g, msg.from);
      for (const [key, value] of Object.entries(msg.data)) {
        if (keyGroup(state, key) === g.id) storeStrong(state, fx, key, value);
      }
      send(fx, { type: 'sync-ok', from: state.config.id, to: msg.from, group: g.id, term: g.term });
      return;
    case 'sync-ok':
      if (g.role !== 'leader') return;
      g.heardFrom[msg.from] = state.now;
      if (!g.synced.includes(msg.from)) g.synced.push(msg.from);
      if (!g.ready && g.synced.length + 1 >= majority(g.replicas)) g.ready = true;
      return;
    case 'replicate':
      onReplicate(state, fx, g, msg);
      return;
    case 'replicate-ok':
      onReplicateOk(state, fx, g, msg);
      return;
    case 'stale':
      return; // fence() has adopted its newer term (and stepped down if this node was leading)
  }
}

function followLeader(state: NodeState, g: GroupState, leader: string): void {
  if (g.role !== 'follower' || g.leader !== leader) becomeFollower(state, g, leader);
  g.electionAt = electionDeadline(state.config, g.id, g.term, state.now);
}

// #region follower-write
/**
 * A follower stores its leader's write (if it is newer than its copy: messages can arrive out of order) and
 * says so. Nothing more: whether the write is committed is the leader's business. A write a majority never
 * stored may stay on one follower; it can only come back if a later election finds no higher version.
 */
function onReplicate(state: NodeState, fx: Effects, g: GroupState, msg: Extract<PeerMessage, { type: 'replicate' }>): void {
  followLeader(state, g, msg.from);
  storeStrong(state, fx, msg.key, msg.write);
  const held = state.strong[msg.key]!;
  if (held.term > msg.term) {
    // A copy handed over from another group after a membership change, whose version outranks every write of
    // this term: the write was NOT stored. Tell the leader a term that high exists; it steps down, and the
    // next election goes above it (startElection), so this group's writes come out newer again.
    return send(fx, { type: 'stale', from: state.config.id, to: msg.from, group: g.id, term: held.term });
  }
  // It holds the write, or a later write of the same leader (an older message arrived late): either way
  // nothing of this write can be lost by saying yes.
  send(fx, { type: 'replicate-ok', from: state.config.id, to: msg.from, group: g.id, term: g.term, key: msg.key, seq: msg.write.seq });
}
// #endregion follower-write

// #region leader-commit
/** A follower stored the write. With a majority (the leader counts itself) the write is committed. */
function onReplicateOk(state: NodeState, fx: Effects, g: GroupState, msg: Extract<PeerMessage, { type: 'replicate-ok' }>): void {
  if (g.role !== 'leader') return;
  g.heardFrom[msg.from] = state.now;
  const late = g.unconfirmed[msg.from];
  if (late && late[msg.key] !== undefined && state.strong[msg.key]?.seq === msg.seq) delete late[msg.key];
  const f = state.inflight.find((i) => i.write && i.group === g.id && i.request.key === msg.key && i.write.seq === msg.seq);
  if (!f || f.stored!.includes(msg.from)) return;
  f.stored!.push(msg.from);
  if (f.stored!.length + 1 >= majority(g.replicas)) commitWrite(state, fx, g, f);
}

function commitWrite(state: NodeState, fx: Effects, g: GroupState, f: Inflight): void {
  const key = f.request.key;
  const write = f.write!;
  setPending(state, fx, key, null);
  storeStrong(state, fx, key, write);
  for (const peer of others(state, g)) {
    if (!f.stored!.includes(peer)) (g.unconfirmed[peer] ??= {})[key] = state.now;
  }
  finish(state, fx, f, { kind: 'written', context: {}, version: { term: write.term, seq: write.seq } });
}
// #endregion leader-commit

// ---------------------------------------------------------------------------------------------------------
// Client requests.

function onRequest(state: NodeState, fx: Effects, request: ClientRequest): void {
  const id = state.config.id;
  // Not the cache: a client may ask for any number of keys this node will never hold.
  const group = groupOf(state.ring, request.key, state.config.replicas).id;
  const g = state.groups[group];
  const reply = (outcome: Outcome): void => {
    fx.replies.push({ id: request.id, outcome, group, leader: g?.leader ?? null, term: g?.term ?? 0 });
  };
  if (!g) return reply({ kind: 'forward', to: keyReplicas(state, request.key)[0]! });
  if (request.consistency === 'eventual') return reply(eventual(state, fx, request));
  if (g.role !== 'leader') {
    if (g.leader !== null && g.leader !== id) return reply({ kind: 'forward', to: g.leader });
    return reply(unavailable('no-leader', `group ${g.id} has no leader that ${id} can reach (an election is under way, or ${id} cannot reach a majority of ${g.replicas.join(', ')}); nothing was changed`));
  }
  if (!g.ready) return reply(unavailable('not-ready', `${id} was just elected leader of ${g.id} (term ${g.term}) and is copying its data to a majority; nothing was changed, retry in a moment`));
  const f: Inflight = { request, group, since: state.now };
  state.inflight.push(f);
  if (request.op === 'get') {
    f.round = g.round + 1;
    sendHeartbeats(state, fx, g);
    finishReads(state, fx, g);
  } else {
    nextWrite(state, fx, g, request.key);
  }
}

// #region strong-read
/** A read is answered once a majority has answered a heartbeat sent after it arrived: proof of leadership. */
function finishReads(state: NodeState, fx: Effects, g: GroupState): void {
  for (const f of [...state.inflight]) {
    if (f.round === undefined || f.group !== g.id) continue;
    const confirmed = others(state, g).filter((peer) => (g.acked[peer] ?? 0) >= f.round!).length + 1;
    if (confirmed >= majority(g.replicas)) finish(state, fx, f, strongOutcome(state.strong[f.request.key]));
  }
}
// #endregion strong-read

function strongOutcome(value: StrongValue | undefined): Outcome {
  const version = value ? { term: value.term, seq: value.seq } : undefined;
  if (value === undefined || value.value === null) return { kind: 'not-found', context: {}, ...(version ? { version } : {}) };
  return { kind: 'value', values: [value.value], context: {}, version: version! };
}

// #region strong-write
/**
 * One write per key at a time, in arrival order: the leader gives it the next version, keeps it pending on
 * its own disk and sends it to the followers. A compare-and-set compares with the last committed value.
 */
function nextWrite(state: NodeState, fx: Effects, g: GroupState, key: string): void {
  const waiting = state.inflight.filter((f) => f.group === g.id && f.request.key === key && f.request.op !== 'get');
  if (waiting.length === 0 || waiting.some((f) => f.write)) return; // none waiting, or one is in flight
  const f = waiting[0]!;
  const request = f.request;
  const current = state.strong[key];
  if (request.op === 'cas') {
    const value = current?.value ?? null;
    if (value !== request.expected) {
      finish(state, fx, f, { kind: 'cas-mismatch', values: value === null ? [] : [value] });
      return nextWrite(state, fx, g, key);
    }
  }
  const write: StrongValue = { term: g.term, seq: g.seq + 1, value: request.op === 'delete' ? null : (request as { value: string }).value };
  if (current && !newer(write, current)) {
    // A copy handed over from another group after a membership change carries that group's terms and may
    // outrank this term. Rather than write a version that loses, start a new election: its term goes above
    // every version this node holds (startElection), and the client retries.
    finish(state, fx, f, unavailable('not-ready', `${state.config.id} holds a newer copy of ${JSON.stringify(key)} than its term ${g.term} can outrank (a membership change moved it here); it is starting a new election, retry in a moment`));
    return startElection(state, fx, g);
  }
  g.seq = write.seq;
  f.write = write;
  f.stored = [];
  setPending(state, fx, key, write);
  for (const peer of others(state, g)) {
    send(fx, { type: 'replicate', from: state.config.id, to: peer, group: g.id, term: g.term, key, write });
  }
  if (1 >= majority(g.replicas)) commitWrite(state, fx, g, f);
}
// #endregion strong-write

// #region eventual
/** Any replica takes an eventual request alone: one copy answers (R = W = 1), the others learn by gossip. */
function eventual(state: NodeState, fx: Effects, request: ClientRequest): Outcome {
  const key = request.key;
  const current = state.store[key] ?? empty<string>();
  if (request.op === 'get') {
    const { values, context } = read(current);
    return values.length > 0 ? { kind: 'value', values, context } : { kind: 'not-found', context };
  }
  if (request.op === 'cas') return unavailable('not-ready', 'compare-and-set needs consistency=strong');
  const context = request.context ?? {};
  const stored =
    request.op === 'delete' ? remove(current, context, state.config.id, state.now) : put(current, request.value, context, state.config.id, state.now);
  storeMerge(state, fx, key, stored);
  for (const peer of keyReplicas(state, key)) {
    if (peer !== state.config.id) send(fx, { type: 'gossip', from: state.config.id, to: peer, key, stored: state.store[key]! });
  }
  return { kind: 'written', context: state.store[key]!.context };
}
// #endregion eventual

function finish(state: NodeState, fx: Effects, f: Inflight, outcome: Outcome): void {
  const index = state.inflight.indexOf(f);
  if (index === -1) return;
  state.inflight.splice(index, 1);
  const g = state.groups[f.group];
  fx.replies.push({ id: f.request.id, outcome, group: f.group, leader: g?.leader ?? null, term: g?.term ?? 0 });
  // The next write of the same key, if one is waiting, goes now.
  if (f.request.op !== 'get' && g?.role === 'leader' && g.ready) nextWrite(state, fx, g, f.request.key);
}

function unavailable(reason: UnavailableReason, message: string): Outcome {
  return { kind: 'unavailable', reason, message };
}

// #region anti-entropy
/**
 * Every few seconds a node sends each fellow replica of each of its groups a digest (one number) of its
 * eventual data for the group. A replica whose digest differs answers with its data, and the first sends its
 * own back: both reconcile (versions.ts), so after a partition heals the replicas converge (Dynamo §4.7 uses
 * Merkle trees to find WHICH keys differ; one number per group is the simplest thing that works here).
 * Strong data does not travel this way: only a leader hands it out.
 */
function antiEntropy(state: NodeState, fx: Effects): void {
  for (const g of Object.values(state.groups)) {
    const value = digest(state, g.id);
    for (const peer of others(state, g)) send(fx, { type: 'digest', from: state.config.id, to: peer, group: g.id, digest: value });
  }
  handOff(state, fx);
}

function digest(state: NodeState, group: string): number {
  const data = groupStore(state, group);
  return hashString(JSON.stringify(Object.keys(data).sort().map((key) => [key, data[key]])));
}
// #endregion anti-entropy

// #region membership
/** A new membership: a new ring. Groups that no longer exist are left; keys that no longer belong here move. */
function changeMembers(state: NodeState, fx: Effects, members: readonly string[]): void {
  const before = state.groups;
  for (const g of Object.values(before)) {
    if (g.role === 'leader') stepDown(state, fx, g, null);
  }
  setMembers(state, members);
  handOff(state, fx);
}

/** Keys this node holds but no longer replicates go to their new replicas; dropped once all of them have them. */
function handOff(state: NodeState, fx: Effects): void {
  const outgoing: Record<string, { data: Record<string, Stored<string>>; strong: Record<string, StrongValue> }> = {};
  const to = (peer: string) => (outgoing[peer] ??= { data: {}, strong: {} });
  for (const [key, stored] of Object.entries(state.store)) {
    const replicas = keyReplicas(state, key);
    if (!replicas.includes(state.config.id)) for (const peer of replicas) to(peer).data[key] = stored;
  }
  for (const [key, value] of Object.entries(state.strong)) {
    const replicas = keyReplicas(state, key);
    if (!replicas.includes(state.config.id)) for (const peer of replicas) to(peer).strong[key] = value;
  }
  for (const [peer, { data, strong }] of Object.entries(outgoing)) send(fx, { type: 'handoff', from: state.config.id, to: peer, data, strong });
}

function onHandoff(state: NodeState, fx: Effects, msg: Extract<PeerMessage, { type: 'handoff' }>): void {
  const contexts: Record<string, Record<string, number>> = {};
  const versions: Record<string, Version> = {};
  for (const [key, stored] of Object.entries(msg.data)) {
    if (!keyReplicas(state, key).includes(state.config.id)) continue;
    storeMerge(state, fx, key, stored);
    contexts[key] = state.store[key]!.context;
  }
  for (const [key, value] of Object.entries(msg.strong)) {
    if (!keyReplicas(state, key).includes(state.config.id)) continue;
    storeStrong(state, fx, key, value);
    versions[key] = { term: state.strong[key]!.term, seq: state.strong[key]!.seq };
  }
  send(fx, { type: 'handoff-ok', from: state.config.id, to: msg.from, contexts, versions });
}

function onHandoffOk(state: NodeState, fx: Effects, msg: Extract<PeerMessage, { type: 'handoff-ok' }>): void {
  const confirm = (key: string, side: 'eventual' | 'strong'): void => {
    const name = `${side}:${key}`;
    const confirmed = [...new Set([...(state.handoffs[name] ?? []), msg.from])];
    if (!keyReplicas(state, key).every((peer) => confirmed.includes(peer))) {
      state.handoffs[name] = confirmed;
      return;
    }
    delete state.handoffs[name];
    if (side === 'eventual') {
      delete state.store[key];
      fx.changes.push({ kind: 'store', key, stored: null });
    } else {
      delete state.strong[key];
      fx.changes.push({ kind: 'strong', key, value: null });
    }
  };
  for (const [key, context] of Object.entries(msg.contexts)) {
    const mine = state.store[key];
    if (!mine || keyReplicas(state, key).includes(state.config.id)) continue;
    const order = compare(mine.context, context);
    if (order === 'equal' || order === 'before') confirm(key, 'eventual'); // else it changed here since: again later
  }
  for (const [key, version] of Object.entries(msg.versions)) {
    const mine = state.strong[key];
    if (!mine || keyReplicas(state, key).includes(state.config.id)) continue;
    if (!newer(mine, version)) confirm(key, 'strong');
  }
}
// #endregion membership

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

function saveTerm(state: NodeState, fx: Effects, g: GroupState): void {
  state.terms[g.id] = { term: g.term, votedFor: g.votedFor };
  fx.changes.push({ kind: 'term', group: g.id, term: g.term, votedFor: g.votedFor });
}

function send(fx: Effects, msg: PeerMessage): void {
  fx.messages.push(msg);
}

function others(state: NodeState, g: GroupState): string[] {
  return g.replicas.filter((peer) => peer !== state.config.id);
}

function keyReplicas(state: NodeState, key: string): string[] {
  return preferenceList(state.ring, key, state.config.replicas);
}

/** Cached: anti-entropy asks for every key's group every few seconds, and the ring only changes with membership. */
function keyGroup(state: NodeState, key: string): string {
  return (state.groupOfKey[key] ??= groupOf(state.ring, key, state.config.replicas).id);
}

/** This node's eventual data for the group's keys. */
function groupStore(state: NodeState, group: string): Record<string, Stored<string>> {
  const data: Record<string, Stored<string>> = {};
  for (const [key, stored] of Object.entries(state.store)) if (keyGroup(state, key) === group) data[key] = stored;
  return data;
}

/** This node's strong data for the group's keys: its copies, and its own pending writes where newer. */
function groupStrong(state: NodeState, group: string): Record<string, StrongValue> {
  const data: Record<string, StrongValue> = {};
  for (const [key, value] of Object.entries(state.strong)) if (keyGroup(state, key) === group) data[key] = value;
  for (const [key, write] of Object.entries(state.pending)) {
    if (keyGroup(state, key) === group && newer(write, data[key])) data[key] = write;
  }
  return data;
}

/** Reconcile `incoming` into the eventual copy of `key`; record a change only if something changed. */
function storeMerge(state: NodeState, fx: Effects, key: string, incoming: Stored<string>): void {
  const before = state.store[key];
  const after = before ? reconcile(before, incoming) : incoming;
  if (before && JSON.stringify(before) === JSON.stringify(after)) return;
  state.store[key] = after;
  fx.changes.push({ kind: 'store', key, stored: after });
}

/** Keep `value` as the strong copy of `key` if it is newer than the one held. */
function storeStrong(state: NodeState, fx: Effects, key: string, value: StrongValue): void {
  if (!newer(value, state.strong[key])) return;
  state.strong[key] = value;
  fx.changes.push({ kind: 'strong', key, value });
}

function setPending(state: NodeState, fx: Effects, key: string, write: StrongValue | null): void {
  if (write === null && !state.pending[key]) return;
  setOrDelete(state.pending, key, write);
  fx.changes.push({ kind: 'pending', key, write });
}

// #region status
export interface GroupStatus {
  id: string;
  replicas: string[];
  role: GroupState['role'];
  term: number;
  leader: string | null;
  ready: boolean;
  keys: number;
}

export interface NodeStatus {
  node: string;
  members: string[];
  groups: GroupStatus[];
  keys: number;
  pending: number;
}

/** What `GET /status` and the live views show of a node. Keys count once whether strong, eventual or both. */
export function status(state: NodeState): NodeStatus {
  const keys = [...new Set([...Object.keys(state.store), ...Object.keys(state.strong)])];
  const counts: Record<string, number> = {};
  for (const key of keys) {
    const id = keyGroup(state, key);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  const groups = Object.values(state.groups)
    .map((g) => ({ id: g.id, replicas: g.replicas, role: g.role, term: g.term, leader: g.leader, ready: g.ready, keys: counts[g.id] ?? 0 }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { node: state.config.id, members: state.members, groups, keys: keys.length, pending: Object.keys(state.pending).length };
}
// #endregion status
