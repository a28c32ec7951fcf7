// Seeded runs for exercise 09: five real Raft nodes (examples/raft/core) whose FOLLOWER side of AppendEntries
// is the learner's function. Everything else is the core's: elections, the leader's side (probe/replicate,
// fast backup, the commit rule), terms. Pure and seeded (mulberry32): a seed replays a run exactly.
//
// How the learner's function is plugged in, from outside the core (its code is not changed): an AppendEntries
// of an older term goes to the core as it is (it refuses it). Otherwise the core first sees the same message
// with no entries at index 0, which does the part that is not about the log (adopt the term, follow the
// sender, restart the election timer); its reply is dropped. Then the learner's function decides on the log,
// its change is written into the node with the core's own replaceFrom, and the learner's reply is sent.
//
// The network delays (so reorders), loses and duplicates messages; one or two nodes are cut off for a while;
// nodes crash and restart from what they persisted. Clients propose to whichever node believes it leads (a
// cut-off leader too, so logs diverge as in the paper's Figure 7). After every step the run checks what log
// replication promises: a node's log is 1, 2, 3, ... with no hole; its commit index never goes back or past
// its log; committed entries are the same on every node and never removed from any log that holds them. At the
// end, after a quiet spell (no faults), every log must equal the leader's, all of it committed.
import { mulberry32 } from '../../shared/random.ts';
import { replaceFrom } from '../../raft/core/log.ts';
import { createNode, propose, ready, step, tick } from '../../raft/core/raft.ts';
import type { AppendEntries, Config, Entry, Message, NodeId, Persisted, RaftNode } from '../../raft/core/types.ts';
import type { Follower, FollowFn, Outcome } from './follower-types.ts';

export const NODES: readonly NodeId[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
const FAULT_TICKS = 3_000; // 1 tick = 1 ms of simulated time, as in the course's simulator
const QUIET_TICKS = 2_000;
const PROPOSE_EVERY = 40;

export function raftConfig(id: NodeId, seed: number): Config {
  // The course's defaults, except a small batch so that a lagging follower catches up over several messages.
  return { id, members: [...NODES], electionTicks: [150, 300], heartbeatTicks: 50, seed, maxEntriesPerMessage: 8 };
}

// ---- The core's answer ----------------------------------------------------------------------------------------
/**
 * What the Raft core does with `m` on a follower holding `follower` (in m's term, following m.from): a real node
 * is made from that state, stepped with the message, and its ready() read. This is the expected answer of every
 * check: change replication.ts and the answers change with it.
 */
export function coreAnswer(follower: Follower, m: AppendEntries): Outcome {
  const persisted: Persisted = { term: m.term, votedFor: null, snapshot: null, entries: structuredClone([...follower.log]) };
  const node = createNode(raftConfig(m.to, 1), persisted);
  node.commitIndex = follower.commitIndex;
  node.lastApplied = follower.commitIndex;
  step(node, structuredClone(m));
  const r = ready(node);
  const reply = r.messages.find((x) => x.type === 'AppendEntriesReply');
  if (reply === undefined || reply.type !== 'AppendEntriesReply') throw new Error(`setup: the core sent no AppendEntriesReply to ${JSON.stringify(m)}`);
  return {
    reply: { success: reply.success, matchIndex: reply.matchIndex, conflictTerm: reply.conflictTerm, conflictIndex: reply.conflictIndex },
    change: r.log === null ? null : { truncateFrom: r.log.truncateFrom, entries: r.log.entries },
    commitIndex: node.commitIndex,
  };
}

/** What is wrong with the shape of an outcome, or undefined if it has the right fields and types. */
export function outcomeProblem(x: unknown): string | undefined {
  const o = x as Partial<Outcome> | null | undefined;
  if (typeof o !== 'object' || o === null) return `it returned ${String(x)}, not an object`;
  const r = o.reply as Partial<Outcome['reply']> | undefined;
  if (typeof r !== 'object' || r === null) return 'it has no `reply` object';
  if (typeof r.success !== 'boolean') return 'reply.success is not true or false';
  if (!Number.isInteger(r.matchIndex)) return 'reply.matchIndex is not a whole number';
  if (r.conflictTerm !== null && !Number.isInteger(r.conflictTerm)) return 'reply.conflictTerm is neither a whole number nor null';
  if (!Number.isInteger(r.conflictIndex)) return 'reply.conflictIndex is not a whole number';
  if (!Number.isInteger(o.commitIndex)) return 'commitIndex is not a whole number';
  const c = o.change as Outcome['change'] | undefined;
  if (c === undefined) return 'it has no `change` (use null when the log stays as it is)';
  if (c !== null && (!Number.isInteger(c.truncateFrom) || !Array.isArray(c.entries))) return 'change is neither null nor { truncateFrom, entries: [...] }';
  return undefined;
}

// ---- A run ----------------------------------------------------------------------------------------------------
export interface Stats {
  leaders: number; // elections won
  committed: number; // entries committed by the end
  calls: number; // AppendEntries the learner's function decided on
  refused: number;
  truncations: number; // accepted, dropping a conflicting tail
  stale: number; // accepted, carrying only entries the follower already held: nothing written
  crashes: number;
  partitions: number;
}

export interface FollowCall {
  tick: number;
  follower: Follower;
  message: AppendEntries;
  got: Outcome;
  want: Outcome;
}

export interface RunResult {
  stats: Stats;
  /** The first broken promise, in words; undefined if the run kept them all. */
  violation?: string;
  /** The last events before the end (or the violation), one line each. */
  trace: string[];
}

interface Server {
  raft: RaftNode | null; // null while crashed
  disk: Persisted;
  restartAt: number;
  commit: number; // the commit index seen at the last check
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

class Broken extends Error {}

const range = (entries: readonly Entry[]): string =>
  entries.length === 0 ? 'no entries' : entries.length === 1 ? `entry ${entries[0]!.index}` : `entries ${entries[0]!.index}..${entries.at(-1)!.index}`;
/** An AppendEntries in one line: "term 3, prev 5 (term 2), entries 6..8, leaderCommit 5". */
export function messageText(m: AppendEntries): string {
  return `term ${m.term}, prevLogIndex ${m.prevLogIndex} (term ${m.prevLogTerm}), ${range(m.entries)}${m.entries.length > 0 ? ` (terms ${m.entries.map((e) => e.term).join(',')})` : ''}, leaderCommit ${m.leaderCommit}`;
}
/**
 * A log as its terms, "1 1 2 2 3" (index 1 first), which is how the paper draws logs; a long one as runs of a
 * term, "1×31 6×35 10×15 (81 entries)".
 */
export function logText(log: readonly Entry[]): string {
  if (log.length === 0) return '(empty)';
  if (log.length <= 16) return log.map((e) => String(e.term)).join(' ');
  const runs: [number, number][] = [];
  for (const e of log) {
    const run = runs.at(-1);
    if (run !== undefined && run[0] === e.term) run[1] += 1;
    else runs.push([e.term, 1]);
  }
  return `${runs.map(([t, n]) => (n === 1 ? `${t}` : `${t}×${n}`)).join(' ')} (${log.length} entries)`;
}
export function outcomeText(o: Outcome): string {
  const parts = [o.reply.success ? `accept (matchIndex ${o.reply.matchIndex})` : `refuse (conflictTerm ${o.reply.conflictTerm}, conflictIndex ${o.reply.conflictIndex})`];
  parts.push(o.change === null ? 'write nothing' : `drop from ${o.change.truncateFrom} and append ${range(o.change.entries)}`);
  parts.push(`commitIndex ${o.commitIndex}`);
  return parts.join(', ');
}

/**
 * One seeded run with `follow` as every node's follower side ('core': the core's own). `onCall`, if given, sees
 * each call with the core's answer to the same input (coreAnswer; with 'core', what the node itself did).
 */
export function runCluster(follow: FollowFn | 'core', seed: number, onCall?: (call: FollowCall) => void): RunResult {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const stats: Stats = { leaders: 0, committed: 0, calls: 0, refused: 0, truncations: 0, stale: 0, crashes: 0, partitions: 0 };
  // The last events, formatted only if the run fails (formatting every call would cost more than the run).
  const events: { t: number; line: () => string }[] = [];
  const note = (t: number, line: () => string) => {
    events.push({ t, line });
    if (events.length > 8) events.shift();
  };
  const trace = () => events.map((e) => `${String(e.t).padStart(5)} ms  ${e.line()}`);
  const servers: Record<NodeId, Server> = {};
  for (const [i, id] of NODES.entries()) {
    servers[id] = { raft: createNode(raftConfig(id, seed * 7 + i)), disk: { term: 0, votedFor: null, snapshot: null, entries: [] }, restartAt: 0, commit: 0 };
  }
  const committed: Entry[] = []; // every entry known committed, by index - 1
  const leaderTerms = new Set<number>();
  let queue: InFlight[] = [];
  let sent = 0;
  let cut = new Set<NodeId>();
  let healAt = 0;
  let proposals = 0;
  let now = 0;
  let faults = true;

  const linked = (a: NodeId, b: NodeId) => cut.has(a) === cut.has(b);
  const send = (m: Message) => {
    if (!linked(m.from, m.to) || (faults && rand() < 0.05)) return; // cut off, or lost
    const copies = faults && rand() < 0.05 ? 2 : 1; // duplicated
    for (let c = 0; c < copies; c++) {
      const copy: Message = m.type === 'AppendEntries' ? { ...m, entries: frozenEntries(m.entries) } : { ...m };
      queue.push({ at: now + 1 + Math.floor(rand() * (faults ? 25 : 8)), seq: sent++, m: copy });
    }
  };

  /** The adapter's duties for one node: persist, then send, then check what replication promises. */
  const handleReady = (id: NodeId) => {
    const s = servers[id]!;
    const node = s.raft!;
    const r = ready(node);
    if (r.hardState !== null) Object.assign(s.disk, r.hardState);
    if (r.log !== null) s.disk.entries = [...s.disk.entries.filter((e) => e.index < r.log!.truncateFrom), ...structuredClone(r.log.entries)];
    for (const m of r.messages) send(m);
    if (node.role === 'leader' && !leaderTerms.has(node.term)) {
      leaderTerms.add(node.term);
      stats.leaders += 1;
      const line = `${id} leads term ${node.term}; its log: ${logText(node.log)}`;
      note(now, () => line);
    }
    const from = Math.min(s.commit, r.log === null ? Infinity : r.log.truncateFrom - 1);
    checkNode(id, from);
  };

  const checkNode = (id: NodeId, from: number) => {
    const s = servers[id]!;
    const node = s.raft!;
    for (let i = Math.max(0, from - 1); i < node.log.length; i++) {
      if (node.log[i]!.index !== i + 1) throw new Broken(`${id}'s log has entry ${node.log[i]!.index} in place ${i + 1}: a log is 1, 2, 3, ... with no hole and no repeat (its terms: ${logText(node.log)})`);
    }
    if (node.commitIndex < s.commit) throw new Broken(`${id}'s commit index went back from ${s.commit} to ${node.commitIndex}: committed is for ever`);
    if (node.commitIndex > node.log.length) throw new Broken(`${id}'s commit index is ${node.commitIndex} but its log ends at ${node.log.length}: it cannot have committed entries it does not hold`);
    for (let i = Math.max(1, from); i <= node.commitIndex; i++) {
      const e = node.log[i - 1]!;
      const c = committed[i - 1];
      if (c === undefined) committed.push(e);
      else if (c.term !== e.term || c.command !== e.command) {
        throw new Broken(`${id} committed entry ${i} of term ${e.term}, but entry ${i} of term ${c.term} was committed before: two nodes disagree on a committed entry (its log: ${logText(node.log)})`);
      }
    }
    s.commit = node.commitIndex;
  };

  /** The learner's follower side, plugged into the real node (see the top of the file). */
  const deliverAppend = (node: RaftNode, m: AppendEntries, follow: FollowFn) => {
    const id = node.config.id;
    const before = node.out.messages.length;
    step(node, { ...m, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 }); // term and leader only
    if (node.out.messages.length === before + 1) node.out.messages.pop();
    // Read-only inputs: the entries are frozen where they are (nothing ever changes an entry; logs replace them).
    const follower: Follower = Object.freeze({ log: frozenEntries(node.log), commitIndex: node.commitIndex });
    const message: AppendEntries = Object.freeze({ ...m, entries: frozenEntries(m.entries) });
    const got = follow(follower, message);
    const problem = outcomeProblem(got);
    if (problem !== undefined) throw new Broken(`${id} got an AppendEntries (${messageText(m)}) and your function's answer has the wrong shape: ${problem}`);
    if (onCall !== undefined) onCall({ tick: now, follower, message, got, want: coreAnswer(follower, message) });
    stats.calls += 1;
    if (!got.reply.success) stats.refused += 1;
    else if (got.change !== null && got.change.truncateFrom <= follower.log.length) stats.truncations += 1;
    else if (got.change === null && m.entries.length > 0) stats.stale += 1;
    note(now, () => `${m.from} → ${id} AppendEntries(${messageText(m)}); ${id}'s log: ${logText(follower.log)}, commitIndex ${follower.commitIndex}; your function: ${outcomeText(got)}`);
    if (got.change !== null) {
      const { truncateFrom, entries } = got.change;
      if (truncateFrom < 1 || truncateFrom > node.log.length + 1) {
        throw new Broken(`${id}'s log ends at ${node.log.length}, and your change drops from ${truncateFrom}: ${truncateFrom < 1 ? 'indexes start at 1' : `entries ${node.log.length + 1}..${truncateFrom - 1} would be a hole`}`);
      }
      const dropped = node.log.filter((e) => e.index >= truncateFrom);
      const lost = dropped.find((e) => e.index <= node.commitIndex || (committed[e.index - 1]?.term === e.term && committed[e.index - 1]?.command === e.command));
      if (lost !== undefined) {
        throw new Broken(`${id} cut its log at entry ${lost.index} (term ${lost.term}), which was already committed${lost.index <= node.commitIndex ? ` (${id}'s own commit index was ${node.commitIndex})` : ''}, even if it wrote the same entry back: a change must never cut a committed entry (a crash between the cut and the append would lose it, and a later leader may be elected without it)`);
      }
      replaceFrom(node, truncateFrom, entries.map((e) => ({ index: e.index, term: e.term, command: e.command })));
    }
    node.commitIndex = got.commitIndex;
    node.out.messages.push({ type: 'AppendEntriesReply', from: id, to: m.from, term: node.term, ...got.reply });
  };

  /** follow === 'core': the core's own follower side, each call read off the node for `onCall`. */
  const coreAppend = (node: RaftNode, m: AppendEntries) => {
    if (onCall === undefined) return void step(node, m);
    const follower: Follower = { log: node.log.slice(), commitIndex: node.commitIndex }; // a copy: the node's log changes in place
    const message: AppendEntries = { ...m, entries: m.entries.slice() };
    step(node, m);
    const reply = node.out.messages.at(-1);
    if (reply?.type !== 'AppendEntriesReply' || node.logDirtyFrom !== 0 && node.logDirtyFrom <= follower.commitIndex) throw new Error('setup: unexpected core behaviour');
    const { success, matchIndex, conflictTerm, conflictIndex } = reply;
    const change = node.logDirtyFrom === 0 ? null : { truncateFrom: node.logDirtyFrom, entries: node.log.slice(node.logDirtyFrom - 1) };
    const read: Outcome = { reply: { success, matchIndex, conflictTerm, conflictIndex }, change, commitIndex: node.commitIndex };
    onCall({ tick: now, follower, message, got: read, want: read });
  };

  const deliver = (f: InFlight) => {
    const s = servers[f.m.to]!;
    if (s.raft === null || !linked(f.m.from, f.m.to)) return;
    if (f.m.type === 'AppendEntries' && f.m.term >= s.raft.term && follow === 'core') coreAppend(s.raft, f.m);
    else if (f.m.type === 'AppendEntries' && f.m.term >= s.raft.term && follow !== 'core') deliverAppend(s.raft, f.m, follow);
    else step(s.raft, f.m);
    handleReady(f.m.to);
  };

  try {
    for (now = 0; now < FAULT_TICKS + QUIET_TICKS; now++) {
      faults = now < FAULT_TICKS;
      const down = NODES.filter((id) => servers[id]!.raft === null);
      if (faults) {
        if (down.length < 2 && rand() < 0.0015) {
          const id = pick(NODES.filter((n) => servers[n]!.raft !== null));
          servers[id]!.raft = null;
          servers[id]!.restartAt = now + 200 + Math.floor(rand() * 800);
          stats.crashes += 1;
          note(now, () => `${id} crashes`);
        }
        if (cut.size === 0 && rand() < 0.0015) {
          cut = new Set([pick(NODES)]);
          if (rand() < 0.5) cut.add(pick(NODES));
          healAt = now + 300 + Math.floor(rand() * 900);
          stats.partitions += 1;
          note(now, () => `${[...cut].join(' and ')} cut off from the others`);
        }
      }
      if (cut.size > 0 && (now >= healAt || !faults)) {
        note(now, () => `the partition heals`);
        cut = new Set();
      }
      for (const id of NODES) {
        const s = servers[id]!;
        if (s.raft === null && (now >= s.restartAt || !faults)) {
          s.raft = createNode(raftConfig(id, seed * 7 + NODES.indexOf(id) + now), structuredClone(s.disk));
          s.commit = 0;
          const line = `${id} restarts with its log from disk: ${logText(s.raft.log)}`;
          note(now, () => line);
          checkNode(id, 1);
        }
      }
      const due = queue.filter((f) => f.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
      queue = queue.filter((f) => f.at > now);
      for (const f of due) deliver(f);
      for (const id of NODES) {
        const node = servers[id]!.raft;
        if (node === null) continue;
        tick(node);
        if (node.role === 'leader' && now % PROPOSE_EVERY === 0 && (faults || now < FAULT_TICKS + QUIET_TICKS / 2)) propose(node, `c${++proposals}`);
        handleReady(id);
      }
    }
  } catch (err) {
    if (!(err instanceof Broken)) throw err;
    stats.committed = committed.length;
    return { stats, violation: `at ${now} ms, ${err.message}`, trace: trace() };
  }
  stats.committed = committed.length;
  const end = endProblem(servers);
  return { stats, trace: trace(), ...(end !== undefined ? { violation: end } : {}) };
}

/** After the quiet spell: one leader, and every log equal to its log, all of it committed everywhere. */
function endProblem(servers: Record<NodeId, Server>): string | undefined {
  const nodes = NODES.map((id) => servers[id]!.raft!);
  const leaders = nodes.filter((n) => n.role === 'leader');
  const top = leaders.sort((a, b) => b.term - a.term)[0];
  if (top === undefined) return `after ${QUIET_TICKS / 1000} s with no faults at all, no node leads`;
  for (const n of nodes) {
    if (n === top) continue;
    if (JSON.stringify(n.log) !== JSON.stringify(top.log)) {
      return `after ${QUIET_TICKS / 1000} s with no faults, ${n.config.id}'s log still differs from the leader ${top.config.id}'s:\n  ${top.config.id} (leader): ${logText(top.log)}\n  ${n.config.id}:          ${logText(n.log)}`;
    }
    if (n.commitIndex !== top.commitIndex) {
      return `after ${QUIET_TICKS / 1000} s with no faults, ${n.config.id}'s log equals the leader ${top.config.id}'s, but its commit index is ${n.commitIndex} where the leader's is ${top.commitIndex}: it never learnt that the rest is committed`;
    }
  }
  if (top.commitIndex !== top.log.length) return `after ${QUIET_TICKS / 1000} s with no faults, the leader ${top.config.id} has committed only ${top.commitIndex} of its ${top.log.length} entries`;
  return undefined;
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return (
    a.reply.success === b.reply.success &&
    a.reply.matchIndex === b.reply.matchIndex &&
    a.reply.conflictTerm === b.reply.conflictTerm &&
    a.reply.conflictIndex === b.reply.conflictIndex &&
    a.commitIndex === b.commitIndex &&
    JSON.stringify(changeOf(a)) === JSON.stringify(changeOf(b))
  );
}

/** A change with its entries' fields in one order, so two equal changes compare equal. */
function changeOf(o: Outcome) {
  return o.change === null ? null : { truncateFrom: o.change.truncateFrom, entries: o.change.entries.map((e) => ({ index: e.index, term: e.term, command: e.command })) };
}

/** A frozen copy of a list of entries, each entry frozen (in place: entries are never changed, only replaced). */
function frozenEntries(entries: readonly Entry[]): Entry[] {
  for (const e of entries) if (!Object.isFrozen(e)) Object.freeze(e);
  return Object.freeze(entries.slice()) as Entry[];
}

export function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}
