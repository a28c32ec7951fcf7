// Five real Raft nodes (examples/raft/core: timers, campaigns, vote counting, replication, commit) in which
// every RequestVote is decided by the LEARNER's decideVote instead of the core's own handler. Everything else
// is the course's Raft. Time is in ticks (1 tick = 1 ms, as in the simulator); a seeded generator decides
// every delay, loss and fault, so a run replays exactly from its seed.
//
// What is checked after every tick:
//  - election safety (§5.2): at most one leader per term;
//  - leader completeness (§5.4): a node that becomes leader holds every entry committed so far;
//  - state machine safety (§5.4.3): no two nodes apply different entries at the same index.
// And, at the end of a run, liveness: with every node up and no faults, some node leads and commits a new entry.
import { createNode, lastIndex, lastTerm, propose, ready, step, termAt, tick } from '../../raft/core/raft.ts';
import { becomeFollower, resetElectionTimer, send } from '../../raft/core/roles.ts';
import type { Config, Entry, Message, NodeId, Persisted, RaftNode, RequestVote } from '../../raft/core/types.ts';
import { mulberry32 } from '../../shared/random.ts';
import type { Vote, Voter } from './vote-types.ts';

export type DecideFn = (voter: Voter, request: RequestVote) => Vote;

export const MEMBERS: NodeId[] = ['n1', 'n2', 'n3', 'n4', 'n5'];

export interface Violation {
  kind: 'two-leaders' | 'lost-commit' | 'diverged' | 'no-leader' | 'bad-vote';
  message: string;
}

export interface Run {
  now: number;
  nodes: Record<NodeId, RaftNode | null>; // null: crashed
  disk: Record<NodeId, Persisted>;
  restarts: Record<NodeId, number>;
  flights: { at: number; n: number; msg: Message }[];
  sent: number;
  cut: Set<string>; // "a>b": messages from a to b are dropped
  leaders: Record<number, NodeId>; // term -> the node that led it
  committed: Map<number, Entry>; // index -> the entry committed there
  votes: Record<number, Record<NodeId, NodeId[]>>; // term -> candidate -> the nodes that granted it
  trace: string[];
  violation?: Violation;
  stats: { elections: number; wins: number; granted: number; refused: number; commits: number };
  delay: (from: NodeId, to: NodeId) => number | null; // null: lost
}

const configOf = (id: NodeId, seed: number): Config => ({
  id,
  members: MEMBERS,
  electionTicks: [150, 300],
  heartbeatTicks: 50,
  seed,
  maxEntriesPerMessage: 64,
});

export function newRun(seed: number, delay: Run['delay']): Run {
  const run: Run = {
    now: 0,
    nodes: {},
    disk: {},
    restarts: {},
    flights: [],
    sent: 0,
    cut: new Set(),
    leaders: {},
    committed: new Map(),
    votes: {},
    trace: [],
    stats: { elections: 0, wins: 0, granted: 0, refused: 0, commits: 0 },
    delay,
  };
  MEMBERS.forEach((id, i) => {
    run.disk[id] = { term: 0, votedFor: null, snapshot: null, entries: [] };
    run.restarts[id] = 0;
    run.nodes[id] = createNode(configOf(id, seed * 31 + i * 7919 + 1));
  });
  return run;
}

const seconds = (ticks: number) => `${(ticks / 1000).toFixed(3)} s`;
function note(run: Run, text: string): void {
  run.trace.push(`${seconds(run.now)}  ${text}`);
  if (run.trace.length > 14) run.trace.shift();
}

/** The learner's rule in place of the core's handleRequestVote. The node's term check in step() comes with it. */
function voteWithLearner(run: Run, node: RaftNode, m: RequestVote, decide: DecideFn): void {
  const voter: Voter = Object.freeze({ id: node.config.id, term: node.term, votedFor: node.votedFor, lastLogIndex: lastIndex(node), lastLogTerm: lastTerm(node) });
  const d = decide(voter, Object.freeze({ ...m }));
  if (typeof d !== 'object' || d === null || typeof d.term !== 'number' || typeof d.granted !== 'boolean' || (d.votedFor !== null && typeof d.votedFor !== 'string')) {
    run.violation = { kind: 'bad-vote', message: `decideVote returned ${JSON.stringify(d)}; it must return { term, votedFor, granted }` };
    return;
  }
  if (d.term < node.term) {
    run.violation = { kind: 'bad-vote', message: `${node.config.id}, in term ${node.term}, got a RequestVote of term ${m.term} and your decideVote moved it BACK to term ${d.term}` };
    return;
  }
  const was = node.role;
  if (d.term > node.term) becomeFollower(node, d.term, null); // what the core's step() does with a newer term
  if (d.votedFor !== node.votedFor) {
    node.votedFor = d.votedFor;
    node.out.hardState = { term: node.term, votedFor: node.votedFor }; // on disk before the reply leaves
  }
  if (d.granted) resetElectionTimer(node);
  send(node, { type: 'RequestVoteReply', from: node.config.id, to: m.from, term: node.term, granted: d.granted });
  if (d.granted) {
    run.stats.granted += 1;
    const t = (run.votes[m.term] ??= {});
    (t[m.from] ??= [m.from]).push(node.config.id);
  } else run.stats.refused += 1;
  const stepped = was !== 'follower' && node.role === 'follower' ? ` (it was ${was === 'leader' ? 'the leader' : 'a candidate'} of term ${voter.term}; now a follower)` : '';
  note(run, `${node.config.id} (term ${voter.term}, log ${voter.lastLogIndex}/${voter.lastLogTerm}, voted ${voter.votedFor ?? 'nobody'}) ${d.granted ? 'GRANTS' : 'refuses'} ${m.from} (term ${m.term}, log ${m.lastLogIndex}/${m.lastLogTerm})${stepped}`);
}

function deliver(run: Run, to: NodeId, m: Message, decide: DecideFn): void {
  const node = run.nodes[to];
  if (!node) return;
  if (m.type === 'RequestVote') voteWithLearner(run, node, m, decide);
  else step(node, m);
}

/** Hand a node's ready() to its disk (synced at once) and the network. */
function flush(run: Run, id: NodeId): void {
  const node = run.nodes[id]!;
  const r = ready(node);
  const disk = run.disk[id]!;
  if (r.hardState) {
    disk.term = r.hardState.term;
    disk.votedFor = r.hardState.votedFor;
  }
  if (r.log) disk.entries = [...disk.entries.filter((e) => e.index < r.log!.truncateFrom), ...r.log.entries.map((e) => ({ ...e }))];
  for (const e of r.committed) {
    const had = run.committed.get(e.index);
    if (had === undefined) {
      run.committed.set(e.index, { ...e });
      if (e.command !== null) run.stats.commits += 1;
    } else if (had.term !== e.term || JSON.stringify(had.command) !== JSON.stringify(e.command)) {
      run.violation ??= { kind: 'diverged', message: `${id} applied entry ${e.index} of term ${e.term}, but the entry committed at ${e.index} was of term ${had.term}: two nodes applied different commands at the same place` };
    }
  }
  for (const m of r.messages) {
    if (run.cut.has(`${m.from}>${m.to}`)) continue;
    const d = run.delay(m.from, m.to);
    if (d === null) continue;
    run.flights.push({ at: run.now + d, n: run.sent++, msg: m });
  }
}

/** One tick: deliver what is due, tick every live node, flush, check. */
export function advance(run: Run, decide: DecideFn): void {
  run.now += 1;
  const due = run.flights.filter((f) => f.at <= run.now).sort((a, b) => a.at - b.at || a.n - b.n);
  run.flights = run.flights.filter((f) => f.at > run.now);
  for (const f of due) {
    deliver(run, f.msg.to, f.msg, decide);
    if (run.violation) return;
  }
  for (const id of MEMBERS) {
    const node = run.nodes[id];
    if (!node) continue;
    const before = node.role;
    tick(node);
    if (before !== 'candidate' && node.role === 'candidate') {
      run.stats.elections += 1;
      note(run, `${id} times out and stands for election in term ${node.term} (log ${lastIndex(node)}/${lastTerm(node)})`);
    }
  }
  for (const id of MEMBERS) if (run.nodes[id]) flush(run, id);
  checkLeaders(run);
}

function checkLeaders(run: Run): void {
  for (const id of MEMBERS) {
    const node = run.nodes[id];
    if (!node || node.role !== 'leader') continue;
    const had = run.leaders[node.term];
    if (had === id) continue;
    if (had !== undefined) {
      run.violation ??= { kind: 'two-leaders', message: `two leaders in term ${node.term}: ${had} and ${id} (${voteText(run, node.term)})` };
      return;
    }
    run.leaders[node.term] = id;
    run.stats.wins += 1;
    note(run, `${id} wins term ${node.term} (${voteText(run, node.term)})`);
    for (const [index, e] of run.committed) {
      if (termAt(node, index) !== e.term) {
        const its = termAt(node, index);
        run.violation ??= {
          kind: 'lost-commit',
          message: `${id} became leader of term ${node.term}, but entry ${index} (term ${e.term}) was committed and ${id}'s log ${its === undefined ? `ends at ${lastIndex(node)}` : `has term ${its} there`}: ` +
            `as leader it will overwrite that committed entry on the followers (${voteText(run, node.term)})`,
        };
        return;
      }
    }
  }
}

/** "votes in term 3: n2 from n2, n4, n5" */
export function voteText(run: Run, term: number): string {
  const t = run.votes[term];
  if (t === undefined) return `no votes granted in term ${term}`;
  return `votes in term ${term}: ${Object.entries(t).map(([c, vs]) => `${c} from ${vs.join(', ')}`).join('; ')}`;
}

export function crash(run: Run, id: NodeId): void {
  if (!run.nodes[id]) return;
  run.nodes[id] = null;
  note(run, `${id} crashes`);
}

export function restart(run: Run, id: NodeId, seed: number): void {
  if (run.nodes[id]) return;
  run.restarts[id] = (run.restarts[id] ?? 0) + 1;
  const disk = run.disk[id]!;
  run.nodes[id] = createNode(configOf(id, seed * 131 + run.restarts[id]! * 104729 + MEMBERS.indexOf(id)), {
    term: disk.term,
    votedFor: disk.votedFor,
    snapshot: null,
    entries: disk.entries.map((e) => ({ ...e })),
  });
  note(run, `${id} restarts (term ${disk.term}, ${disk.entries.length} entries on disk)`);
}

export function leaderNow(run: Run): RaftNode | undefined {
  let best: RaftNode | undefined;
  for (const id of MEMBERS) {
    const n = run.nodes[id];
    if (n && n.role === 'leader' && (best === undefined || n.term > best.term)) best = n;
  }
  return best;
}

/**
 * Run until some node leads and commits an entry it proposed, with every node up and no faults, or until
 * `limit` ticks have passed (then a 'no-leader' violation).
 */
export function settle(run: Run, decide: DecideFn, limit: number, label: string): number {
  const start = run.now;
  let proposed: { index: number; term: number } | undefined;
  while (run.now - start < limit && !run.violation) {
    advance(run, decide);
    const l = leaderNow(run);
    if (l && (proposed === undefined || proposed.term !== l.term)) {
      const p = propose(l, { settle: label, at: run.now });
      if (p.ok) proposed = { index: p.index, term: p.term };
    }
    if (proposed && run.committed.get(proposed.index)?.term === proposed.term) return run.now - start;
  }
  if (!run.violation) {
    const l = leaderNow(run);
    const terms = MEMBERS.map((id) => `${id} term ${run.nodes[id]?.term ?? '-'}`).join(', ');
    run.violation = {
      kind: 'no-leader',
      message: l
        ? `after ${seconds(limit)} with every node up and no faults, ${l.config.id} leads term ${l.term} but could not commit a new entry`
        : `after ${seconds(limit)} with every node up and no faults, no node leads (${terms}; ${run.stats.elections} elections stood, ${run.stats.granted} votes granted, ${run.stats.refused} refused)`,
    };
  }
  return run.now - start;
}

// ---- Seeded random runs --------------------------------------------------------------------------------------
export const FAULT_TICKS = 3000;
export const SETTLE_TICKS = 4000;

/** A run with random delays (1-15 ticks), 3% loss, crashes of the leader and others, partitions; then calm. */
export function randomRun(decide: DecideFn, seed: number): Run {
  const rnd = mulberry32(seed);
  let calm = false;
  const run = newRun(seed, () => (!calm && rnd() < 0.03 ? null : 1 + Math.floor(rnd() * 15)));
  let nextProposal = 20;
  while (run.now < FAULT_TICKS && !run.violation) {
    advance(run, decide);
    if (run.violation) break;
    if (run.now >= nextProposal) {
      nextProposal = run.now + 10 + Math.floor(rnd() * 40);
      const l = leaderNow(run);
      if (l) propose(l, { op: 'put', key: `k${run.now}`, value: String(seed) });
    }
    const down = MEMBERS.filter((id) => !run.nodes[id]);
    const r = rnd();
    if (r < 0.002) {
      const l = leaderNow(run); // kill the leader: the case every election exists for
      if (l && down.length < 2) crash(run, l.config.id);
    } else if (r < 0.003 && down.length < 2) {
      crash(run, MEMBERS[Math.floor(rnd() * MEMBERS.length)]!);
    } else if (r < 0.006 && down.length > 0) {
      restart(run, down[Math.floor(rnd() * down.length)]!, seed);
    } else if (r < 0.0075) {
      // a partition: a random minority cut off both ways
      run.cut.clear();
      const shuffled = [...MEMBERS].sort(() => rnd() - 0.5);
      const minority = shuffled.slice(0, 1 + Math.floor(rnd() * 2));
      for (const a of minority) for (const b of MEMBERS) if (!minority.includes(b)) run.cut.add(`${a}>${b}`).add(`${b}>${a}`);
      note(run, `partition: ${minority.join(', ')} cut off from the rest`);
    } else if (r < 0.0095 && run.cut.size > 0) {
      run.cut.clear();
      note(run, 'the partition heals');
    }
  }
  if (!run.violation) {
    calm = true;
    run.cut.clear();
    for (const id of MEMBERS) restart(run, id, seed);
    note(run, 'faults stop: every node up, no partition');
    settle(run, decide, SETTLE_TICKS, 'calm');
  }
  return run;
}

// ---- The two stories -----------------------------------------------------------------------------------------
const fixed = (ticks: number) => () => ticks;

/** Make `id` the next to time out: its timer runs out after `after` ticks. */
function timeoutIn(run: Run, id: NodeId, after: number): void {
  const n = run.nodes[id]!;
  n.electionElapsed = 0;
  n.electionTimeout = after;
}

export interface StaleStory {
  run: Run;
  firstLeader?: NodeId;
  committedBefore: number;
  staleLog?: string;
  freshLog?: string;
  staleWon: boolean;
  staleElections: number;
  nextLeader?: { id: NodeId; term: number };
}

/**
 * §5.4.1 in one story: n1 leads term 1 while n4 and n5 are down; it commits three writes on n1, n2 and n3. Then
 * n1 crashes, n4 and n5 come back with their short logs, and n4 times out first. With the up-to-date check it
 * can gather n5's vote at most (n2 and n3 have the committed writes and refuse), so it cannot win; n2 or n3
 * leads the next term. Without it, n4 wins and would overwrite the committed writes.
 */
export function staleLogStory(decide: DecideFn): StaleStory {
  const run = newRun(8, fixed(5));
  timeoutIn(run, 'n1', 10);
  for (const id of ['n2', 'n3', 'n4', 'n5']) timeoutIn(run, id, 290);
  const story: StaleStory = { run, committedBefore: 0, staleWon: false, staleElections: 0 };
  const until = (t: number) => {
    while (run.now < t && !run.violation) advance(run, decide);
  };
  until(100);
  story.firstLeader = leaderNow(run)?.config.id;
  if (story.firstLeader !== 'n1' || run.violation) return story;
  crash(run, 'n4');
  crash(run, 'n5');
  for (const w of ['x=1', 'y=2', 'z=3']) {
    propose(run.nodes.n1!, { op: 'put', key: w[0], value: w.slice(2) });
    until(run.now + 20);
  }
  until(run.now + 60);
  story.committedBefore = [...run.committed.values()].filter((e) => e.command !== null).length;
  crash(run, 'n1');
  restart(run, 'n4', 8);
  restart(run, 'n5', 8);
  until(run.now + 10); // n1's last messages land; nobody's timer runs out yet
  const n4 = run.nodes.n4!;
  const n2 = run.nodes.n2!;
  story.staleLog = `${lastIndex(n4)}/${lastTerm(n4)}`;
  story.freshLog = `${lastIndex(n2)}/${lastTerm(n2)}`;
  timeoutIn(run, 'n4', 5);
  timeoutIn(run, 'n5', 280);
  timeoutIn(run, 'n2', 200);
  timeoutIn(run, 'n3', 240);
  const from = run.now;
  while (run.now - from < 2000 && !run.violation) {
    const wasCandidate = run.nodes.n4?.role === 'candidate';
    advance(run, decide);
    if (!wasCandidate && run.nodes.n4?.role === 'candidate') story.staleElections += 1;
    const l = leaderNow(run);
    if (l && l.config.id === 'n4') story.staleWon = true;
    if (l && l.term > 1 && story.nextLeader === undefined) story.nextLeader = { id: l.config.id, term: l.term };
    if (story.nextLeader && run.now - from > 600) break;
  }
  return story;
}

export interface SplitStory {
  run: Run;
  term1Leaders: NodeId[];
  term1Votes: string;
  nextLeader?: { id: NodeId; term: number; at: number };
}

/**
 * A split vote: n1, n2 and n3 time out at the same tick and all stand in term 1. n4 hears n1 first, n5 hears
 * n2 first, and each candidate has already voted for itself. So n1 gets 2 votes, n2 gets 2 and n3 gets 1: no
 * majority of 3. Their timers, drawn at random again, run out at different times, and one wins a later term.
 */
export function splitVoteStory(decide: DecideFn): SplitStory {
  const delays: Record<string, number> = { 'n1>n4': 3, 'n2>n4': 8, 'n3>n4': 12, 'n2>n5': 3, 'n1>n5': 8, 'n3>n5': 12 };
  const run = newRun(3, (from, to) => delays[`${from}>${to}`] ?? 5);
  for (const id of ['n1', 'n2', 'n3']) timeoutIn(run, id, 100);
  for (const id of ['n4', 'n5']) timeoutIn(run, id, 290);
  const story: SplitStory = { run, term1Leaders: [], term1Votes: '' };
  while (run.now < 2000 && !run.violation) {
    advance(run, decide);
    for (const id of MEMBERS) {
      const n = run.nodes[id];
      if (n?.role === 'leader' && n.term === 1 && !story.term1Leaders.includes(id)) story.term1Leaders.push(id);
    }
    const l = leaderNow(run);
    if (l && l.term > 1 && story.nextLeader === undefined) story.nextLeader = { id: l.config.id, term: l.term, at: run.now };
    if (story.nextLeader && run.now > story.nextLeader.at + 100) break;
  }
  story.term1Votes = voteText(run, 1);
  return story;
}
