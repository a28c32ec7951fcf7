// A small election model for exercise 04: one group of three nodes (n1, n2, n3) that elects leaders with
// terms and writes through its leader, as the store does (examples/store/core/node.ts: Raft's vote rule
// without the log check, a write acknowledged once a majority stores it, a leader that has not heard from a
// majority steps down). The network delays, reorders and loses messages; links are cut and made slow; nodes
// crash and restart from what they saved. Every message passes the fence under test before anything else.
//
// Pure and seeded (mulberry32): the same fence and seed give the same run, so a failing seed replays exactly.
// The store's own simulator (examples/store/sim) runs the real core; this model is small enough to run a
// learner's fence hundreds of times in a second, and to say in a few lines what went wrong.
import { mulberry32 } from '../../shared/random.ts';
import type { GroupMessageType, GroupView, Incoming, Role, Verdict } from './fence-types.ts';

export type FenceFn = (view: GroupView, msg: Incoming) => Verdict;

export const NODES = ['n1', 'n2', 'n3'] as const;
const MAJORITY = 2;
const STEP_MS = 5;
const HEARTBEAT_MS = 50;
/** A follower waits 1x to 2x this long for its leader; a leader steps down after this long without a majority. */
const ELECTION_MS = 150;
const WRITE_EVERY_MS = 100;

interface Write {
  id: string;
  term: number;
}

interface Msg {
  type: GroupMessageType;
  from: string;
  to: string;
  term: number;
  granted?: boolean;
  write?: Write;
  at: number; // delivery time
  seq: number;
}

interface Node {
  id: string;
  up: boolean;
  term: number;
  votedFor: string | null;
  role: Role;
  leader: string | null;
  disk: { term: number; votedFor: string | null };
  votes: Set<string>;
  electionAt: number;
  heartbeatAt: number;
  writeAt: number;
  heardFrom: Record<string, number>;
  inflight: Map<string, Set<string>>;
  written: number;
}

/** A stretch of time with one fault in it. `node: 'leader'` means whoever leads when it starts. */
export interface Fault {
  from: number;
  to: number;
  kind: 'cut' | 'crash' | 'slow';
  node: string | 'leader';
  /** slow: only the link from `node` to `peer` is slow; cut: only that link is cut (both ways). */
  peer?: string;
  /** slow: the extra delay in ms. */
  extra?: number;
}

export interface Options {
  seed: number;
  loss: number;
  faults: Fault[];
  end: number;
  /** Fault-free time at the end: the group must then have exactly one leader, followed by all. */
  quiet: number;
}

export type ViolationKind = 'two-leaders' | 'old-write' | 'no-leader' | 'bad-verdict';

export interface Outcome {
  violation?: { kind: ViolationKind; message: string; at: number };
  /** The last events before the end (or the violation), oldest first. */
  trace: string[];
  wins: number;
  maxTerm: number;
  acked: number;
  /** Messages of an older term that arrived and were refused. */
  refused: number;
  staleReplies: number;
  /** How each leader stopped leading: 'fence' (a message with a newer term) or 'timeout' (no majority heard). */
  stepDowns: { node: string; term: number; at: number; why: 'fence' | 'timeout' | 'crash'; by?: string }[];
  /** Messages of an older term that reached a node with a newer term (refused or, wrongly, let in). */
  late: { type: GroupMessageType; from: string; to: string; term: number; at: number; refused: boolean }[];
  /** Each time a node became leader of a term, in order. */
  leaders: { at: number; node: string; term: number }[];
}

/** A random run's faults: 0.2–1 s stretches of a cut link or node, a crash, a slow link, or nothing. */
export function randomOptions(seed: number): Options {
  const random = mulberry32(seed * 7919 + 13);
  const faults: Fault[] = [];
  const end = 5_000;
  const quiet = 1_500;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  for (let t = 300 + Math.floor(random() * 300); t < end - quiet; ) {
    const length = 200 + Math.floor(random() * 800);
    const to = Math.min(t + length, end - quiet);
    const r = random();
    const node = random() < 0.5 ? 'leader' : pick(NODES);
    if (r < 0.3) faults.push({ from: t, to, kind: 'cut', node });
    else if (r < 0.45) faults.push({ from: t, to, kind: 'cut', node, peer: pick(NODES) });
    else if (r < 0.65) faults.push({ from: t, to, kind: 'crash', node });
    else if (r < 0.85) faults.push({ from: t, to, kind: 'slow', node, peer: pick(NODES), extra: 100 + Math.floor(random() * 700) });
    t = to + Math.floor(random() * 400);
  }
  return { seed, loss: Math.floor(random() * 20) / 100, faults, end, quiet };
}

/** The story check: n-th leader's link to one follower gets 1 s slower, while the other follower hears it fine. */
export function storyOptions(): Options {
  return { seed: 4, loss: 0, faults: [{ from: 600, to: 1_000, kind: 'slow', node: 'leader', peer: 'follower', extra: 1_000 }], end: 3_000, quiet: 1_000 };
}

const show = (t: number) => `${(t / 1000).toFixed(3)} s`;
const a = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;

export function simulate(fence: FenceFn, options: Options): Outcome {
  const random = mulberry32(options.seed);
  const timeout = () => ELECTION_MS + Math.floor(random() * ELECTION_MS);
  const nodes = new Map<string, Node>(
    NODES.map((id) => [id, { id, up: true, term: 0, votedFor: null, role: 'follower', leader: null, disk: { term: 0, votedFor: null }, votes: new Set(), electionAt: timeout(), heartbeatAt: 0, writeAt: 0, heardFrom: {}, inflight: new Map(), written: 0 }]),
  );
  const queue: Msg[] = [];
  let seq = 0;
  let now = 0;
  const trace: string[] = [];
  const log = (text: string) => {
    trace.push(`${show(now)}  ${text}`);
    if (trace.length > 12) trace.shift();
  };
  const out: Outcome = { trace, wins: 0, maxTerm: 0, acked: 0, refused: 0, staleReplies: 0, stepDowns: [], late: [], leaders: [] };
  const leaders = new Map<number, Set<string>>();
  let violation: Outcome['violation'];
  const fail = (kind: ViolationKind, message: string) => {
    violation ??= { kind, message, at: now };
  };

  // Faults: resolved when they start ('leader' and 'follower' become node names then).
  const active: Fault[] = [];
  const pending = [...options.faults].sort((a, b) => a.from - b.from);
  const resolve = (f: Fault): Fault => {
    const leader = [...nodes.values()].find((n) => n.up && n.role === 'leader')?.id ?? 'n1';
    const node = f.node === 'leader' ? leader : f.node;
    const peer = f.peer === 'follower' ? NODES.find((n) => n !== node)! : f.peer;
    return { ...f, node, ...(peer !== undefined && peer !== node ? { peer } : { peer: undefined }) };
  };
  const cut = (a: string, b: string) => {
    for (const f of active) {
      if (f.kind !== 'cut') continue;
      if (f.peer === undefined ? f.node === a || f.node === b : (f.node === a && f.peer === b) || (f.node === b && f.peer === a)) return true;
    }
    return false;
  };
  const extraDelay = (a: string, b: string) => {
    let extra = 0;
    for (const f of active) if (f.kind === 'slow' && f.node === a && (f.peer === undefined || f.peer === b)) extra += f.extra ?? 0;
    return extra;
  };

  const send = (from: Node, m: Omit<Msg, 'from' | 'at' | 'seq'>) => {
    if (m.type === 'stale') out.staleReplies += 1;
    if (cut(from.id, m.to) || random() < options.loss) return;
    queue.push({ ...m, from: from.id, at: now + 5 + Math.floor(random() * 36) + extraDelay(from.id, m.to), seq: seq++ });
  };
  const peers = new Map<string, string[]>(NODES.map((id) => [id, NODES.filter((p) => p !== id)]));
  const others = (n: Node) => peers.get(n.id)!;

  const becomeFollower = (n: Node, leader: string | null) => {
    n.role = 'follower';
    n.leader = leader;
    n.votes.clear();
    n.inflight.clear();
    n.electionAt = now + timeout();
  };
  const stepDown = (n: Node, term: number, why: 'fence' | 'timeout' | 'crash', by?: string) => {
    out.stepDowns.push({ node: n.id, term, at: now, why, ...(by !== undefined ? { by } : {}) });
  };
  const save = (n: Node) => {
    n.disk = { term: n.term, votedFor: n.votedFor };
  };
  const startElection = (n: Node) => {
    n.term += 1;
    n.votedFor = n.id;
    n.role = 'candidate';
    n.leader = null;
    n.votes = new Set([n.id]);
    n.electionAt = now + timeout();
    save(n);
    log(`${n.id} starts an election in term ${n.term}`);
    for (const p of others(n)) send(n, { type: 'vote-request', to: p, term: n.term });
  };
  const becomeLeader = (n: Node) => {
    n.role = 'leader';
    n.leader = n.id;
    n.heardFrom = Object.fromEntries(others(n).map((p) => [p, now]));
    n.heartbeatAt = now;
    n.writeAt = now + 20;
    n.inflight.clear();
    out.wins += 1;
    log(`${n.id} wins term ${n.term} (votes: ${[...n.votes].join(', ')})`);
  };
  const followLeader = (n: Node, leader: string) => {
    if (n.role !== 'follower' || n.leader !== leader) becomeFollower(n, leader);
    n.electionAt = now + timeout();
  };

  const receive = (n: Node, m: Msg) => {
    const view: GroupView = Object.freeze({ term: n.term, votedFor: n.votedFor, role: n.role });
    const incoming: Incoming = Object.freeze({ type: m.type, from: m.from, term: m.term });
    const v = fence(view, incoming); // an error thrown here ends the run: the caller shows it
    const problem = verdictProblem(v);
    if (problem !== undefined) return fail('bad-verdict', `fence returned ${JSON.stringify(v)} for a ${m.type} of term ${m.term} at ${n.id} (term ${n.term}): ${problem}`);
    const late = m.term < n.term;
    if (v.save !== null) n.disk = { term: v.save.term, votedFor: v.save.votedFor };
    const wasLeader = n.role === 'leader';
    n.term = v.view.term;
    n.votedFor = v.view.votedFor;
    if (v.view.role !== n.role) {
      if (v.view.role === 'follower') becomeFollower(n, null);
      else n.role = v.view.role;
    }
    if (n.term !== view.term) log(`${n.id} sees term ${m.term} (${a(m.type)} from ${m.from}) and moves to term ${n.term}${n.role === 'leader' ? ', still LEADING' : ''}`);
    if (wasLeader && n.role !== 'leader') {
      stepDown(n, view.term, 'fence', `${a(m.type)} of term ${m.term} from ${m.from}`);
      log(`${n.id} stops leading`);
    }
    if (v.reply !== null) send(n, { type: 'stale', to: v.reply.to, term: v.reply.term });
    if (late) out.late.push({ type: m.type, from: m.from, to: n.id, term: m.term, at: now, refused: !v.pass });
    if (!v.pass) {
      if (late) out.refused += 1;
      return;
    }
    switch (m.type) {
      case 'vote-request': {
        const granted = n.role !== 'leader' && (n.votedFor === null || n.votedFor === m.from);
        if (granted) {
          n.votedFor = m.from;
          n.electionAt = now + timeout();
          save(n);
        }
        send(n, { type: 'vote', to: m.from, term: n.term, granted });
        return;
      }
      case 'vote':
        if (n.role !== 'candidate' || m.granted !== true) return;
        n.votes.add(m.from);
        if (n.votes.size >= MAJORITY) becomeLeader(n);
        return;
      case 'heartbeat':
        followLeader(n, m.from);
        send(n, { type: 'heartbeat-ok', to: m.from, term: n.term });
        return;
      case 'heartbeat-ok':
        if (n.role === 'leader') n.heardFrom[m.from] = now;
        return;
      case 'replicate': {
        followLeader(n, m.from);
        const w = m.write!;
        if (w.term !== n.term) {
          fail('old-write', `${n.id}, in term ${n.term}, stored write ${w.id} of term ${w.term} from ${m.from}: a write of a deposed leader got in`);
        }
        send(n, { type: 'replicate-ok', to: m.from, term: n.term, write: w });
        return;
      }
      case 'replicate-ok': {
        if (n.role !== 'leader') return;
        n.heardFrom[m.from] = now;
        const stored = n.inflight.get(m.write!.id);
        if (stored === undefined) return;
        stored.add(m.from);
        if (stored.size >= MAJORITY) {
          n.inflight.delete(m.write!.id);
          out.acked += 1;
          log(`${n.id} acknowledges ${m.write!.id} (term ${m.write!.term}), stored by ${[...stored].join(', ')}`);
        }
        return;
      }
      default:
        return; // sync, sync-ok: not used by this model; stale: the fence did all there is to do
    }
  };

  const tick = (n: Node) => {
    if (n.role === 'leader') {
      const heard = others(n).filter((p) => now - (n.heardFrom[p] ?? -Infinity) < ELECTION_MS).length;
      if (heard + 1 < MAJORITY) {
        stepDown(n, n.term, 'timeout');
        log(`${n.id} has not heard from a majority for ${ELECTION_MS} ms and stops leading term ${n.term}`);
        becomeFollower(n, null);
        return;
      }
      if (now >= n.heartbeatAt) {
        n.heartbeatAt = now + HEARTBEAT_MS;
        for (const p of others(n)) send(n, { type: 'heartbeat', to: p, term: n.term });
      }
      if (now >= n.writeAt) {
        n.writeAt = now + WRITE_EVERY_MS;
        n.written += 1;
        const write: Write = { id: `${n.id}.w${n.written}`, term: n.term };
        n.inflight.set(write.id, new Set([n.id]));
        for (const p of others(n)) send(n, { type: 'replicate', to: p, term: n.term, write });
      }
    } else if (now >= n.electionAt) {
      startElection(n);
    }
  };

  for (now = 0; now <= options.end && violation === undefined; now += STEP_MS) {
    // Faults that end now, then faults that start now.
    for (const f of [...active]) {
      if (f.to > now) continue;
      active.splice(active.indexOf(f), 1);
      if (f.kind === 'crash') {
        const n = nodes.get(f.node)!;
        Object.assign(n, { up: true, term: n.disk.term, votedFor: n.disk.votedFor, role: 'follower', leader: null, votes: new Set(), inflight: new Map(), electionAt: now + timeout() });
        log(`${n.id} restarts with term ${n.term}, voted for ${n.votedFor ?? 'nobody'} (from its disk)`);
      } else log(`${f.kind === 'cut' ? 'the cut' : 'the slow link'} ${f.peer === undefined ? `of ${f.node}` : `${f.node}-${f.peer}`} heals`);
    }
    while (pending.length > 0 && pending[0]!.from <= now) {
      const f = resolve(pending.shift()!);
      if (f.kind === 'crash' && active.some((a) => a.kind === 'crash')) continue; // one node down at a time
      active.push(f);
      if (f.kind === 'crash') {
        const n = nodes.get(f.node)!;
        if (n.role === 'leader') stepDown(n, n.term, 'crash');
        n.up = false;
        log(`${n.id} crashes (it was ${n.role} in term ${n.term})`);
      } else if (f.kind === 'cut') log(f.peer === undefined ? `${f.node} is cut off` : `the link ${f.node}-${f.peer} is cut`);
      else log(`messages from ${f.node} to ${f.peer ?? 'all'} now take ${f.extra} ms longer`);
    }
    if (queue.length > 0 && queue.some((m) => m.at <= now)) {
      const due = queue.filter((m) => m.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
      const later = queue.filter((m) => m.at > now);
      queue.length = 0;
      queue.push(...later);
      for (const m of due) {
        const n = nodes.get(m.to)!;
        if (n.up && violation === undefined) receive(n, m);
      }
    }
    for (const n of nodes.values()) if (n.up && violation === undefined) tick(n);
    for (const n of nodes.values()) {
      if (!n.up || n.role !== 'leader') continue;
      const set = leaders.get(n.term) ?? new Set<string>();
      if (!set.has(n.id)) out.leaders.push({ at: now, node: n.id, term: n.term });
      set.add(n.id);
      leaders.set(n.term, set);
      if (set.size > 1) fail('two-leaders', `two leaders in term ${n.term}: ${[...set].join(' and ')} (both acting as leader, both able to acknowledge writes)`);
      out.maxTerm = Math.max(out.maxTerm, n.term);
    }
  }
  if (violation === undefined) {
    now = options.end;
    const up = [...nodes.values()];
    const leading = up.filter((n) => n.role === 'leader');
    const about = up.map((n) => `${n.id} ${n.role} in term ${n.term}`).join(', ');
    if (leading.length !== 1) fail('no-leader', `after ${options.quiet / 1000} s with no faults at all, ${leading.length === 0 ? 'no node leads' : 'more than one node leads'}: ${about}`);
    else if (up.some((n) => n.term !== leading[0]!.term || (n.role === 'follower' && n.leader !== leading[0]!.id))) {
      fail('no-leader', `after ${options.quiet / 1000} s with no faults at all, the group does not follow one leader: ${about}`);
    }
  }
  for (const n of nodes.values()) out.maxTerm = Math.max(out.maxTerm, n.term);
  if (violation !== undefined) out.violation = violation;
  return out;
}

/** What is wrong with the shape of a verdict, or undefined when it has the right fields and types. */
export function verdictProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'it must return an object { pass, view, save, reply }';
  const x = v as Record<string, unknown>;
  if (typeof x.pass !== 'boolean') return '`pass` must be true or false';
  const view = x.view as Record<string, unknown> | null | undefined;
  if (typeof view !== 'object' || view === null) return '`view` must be an object { term, votedFor, role }';
  if (!Number.isInteger(view.term)) return '`view.term` must be a whole number';
  if (view.votedFor !== null && typeof view.votedFor !== 'string') return '`view.votedFor` must be a node name or null';
  if (!['follower', 'candidate', 'leader'].includes(view.role as string)) return "`view.role` must be 'follower', 'candidate' or 'leader'";
  const save = x.save as Record<string, unknown> | null | undefined;
  if (save !== null && (typeof save !== 'object' || !Number.isInteger(save.term) || (save.votedFor !== null && typeof save.votedFor !== 'string'))) {
    return '`save` must be null or { term, votedFor }';
  }
  const reply = x.reply as Record<string, unknown> | null | undefined;
  if (reply !== null && (typeof reply !== 'object' || reply.type !== 'stale' || typeof reply.to !== 'string' || !Number.isInteger(reply.term))) {
    return "`reply` must be null or { type: 'stale', to, term }";
  }
  return undefined;
}
