// Seeded three-node Raft clusters for exercise 10, with the learner's apply loop inside every node.
//
// The nodes are the real Raft core (examples/raft/core/raft.ts: tick, step, propose, ready, compact), driven the
// way service.ts drives them: after every event, ready() -> persist -> send -> apply the committed entries and
// answer the requests that wait for them. The one difference from service.ts is the apply step: it calls the
// `applyEntries` passed in (the learner's), where service.ts calls the core's applyCommand.
//
// What happens, all decided by one mulberry32(seed): messages between nodes and between clients and nodes
// take 1-3 ticks, 5% are lost and 5% arrive twice, the second copy up to 15 ticks later (a doubled client
// request is proposed twice: the same command twice in the log, perhaps after the client's NEXT request); every so often a node crashes (the leader more often than not) and restarts from
// what it persisted; each node takes a snapshot every few applied entries, so a restarted or lagging node may
// start from one. Three clients send one request at a time (client id + seq), to the node they believe leads,
// and retry the SAME seq at another node when no answer comes within their timeout, or when told "not the
// leader" or "lost leadership". Every request and its answer is recorded in Part II's history format
// (tests/helpers/kv-history.ts) for the linearizability checker; time is in ticks.
//
// Pure (no node: imports) and deterministic: the same seed and apply loop give the same run.
import { compact, createNode, propose, ready, step, tick } from '../../raft/core/raft.ts';
import { emptyKv, applyCommand as coreApply, type KvCommand, type KvResult, type KvState } from '../../raft/core/kv.ts';
import type { Config, Entry, Message, Persisted, RaftNode } from '../../raft/core/types.ts';
import { mulberry32 } from '../../shared/random.ts';
import type { KvOperation } from '../../../tests/helpers/kv-history.ts';

export type ApplyEntries = (state: KvState, entries: readonly Entry[]) => (KvResult | null)[];

export const NODES = ['n1', 'n2', 'n3'] as const;
const CLIENTS = ['c1', 'c2', 'c3'] as const;
const KEYS = ['x', 'y'] as const;
const SNAPSHOT_EVERY = 6;
const CLIENT_TIMEOUT = 30;

interface Node {
  id: string;
  up: boolean;
  raft: RaftNode;
  kv: KvState;
  /** Requests proposed here, by log index: answered when that index is applied (as in service.ts). */
  waiting: Record<number, { term: number; client: string; seq: number }>;
  disk: Persisted;
  restarts: number;
}

type ToNode = { kind: 'request'; client: string; command: KvCommand };
type ToClient =
  | { kind: 'answer'; seq: number; result: KvResult }
  | { kind: 'retry'; seq: number; leader: string | null; why: 'not the leader' | 'lost leadership' };
type Packet =
  | { at: number; to: string; raft: Message }
  | { at: number; to: string; request: ToNode }
  | { at: number; client: string; reply: ToClient };

interface Client {
  id: string;
  seq: number;
  /** The request under way, if any: its command and the history record it will complete. */
  pending: { command: KvCommand; record: KvOperation; sentAt: number; target: string } | null;
  leader: string;
  idleUntil: number;
  /** The last value this client saw per key: what its next cas expects. */
  seen: Record<string, string | null>;
}

/** What one run produced, for the checks and the tests. */
export interface Run {
  history: KvOperation[];
  /** The first answer of the learner's loop that differs from the core's, if any. */
  mismatch?: Mismatch;
  /** The learner's loop threw or returned something that is not one answer per entry. */
  broken?: { node: string; tick: number; message: string; error?: unknown };
  stats: Stats;
}

export interface Mismatch {
  tick: number;
  node: string;
  index: number;
  command: KvCommand | null;
  /** The client's session in the core's state just before this entry: what makes it a retry or not. */
  session: { seq: number; result: KvResult } | undefined;
  /** Whether an earlier log entry already carried this client and seq (this one is a duplicate). */
  duplicateOf: number | undefined;
  /** 'answer': this entry's answer differs; 'data': the answers were right, but after this batch the node's
   *  data differs from the core's (`expected` and `got` are then the data). */
  kind: 'answer' | 'data';
  expected: unknown;
  got: unknown;
}

export interface Stats {
  requests: number;
  answered: number;
  retries: number;
  /** Log entries whose (client, seq) an earlier entry already had: the copies dedupe must catch. */
  duplicateEntries: number;
  crashes: number;
  snapshotsInstalled: number;
  leaders: number;
}

export function playCluster(applyEntries: ApplyEntries, seed: number, ticks = 400): Run {
  const random = mulberry32(seed);
  const chance = (p: number) => random() < p;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const stats: Stats = { requests: 0, answered: 0, retries: 0, duplicateEntries: 0, crashes: 0, snapshotsInstalled: 0, leaders: 0 };
  const run: Run = { history: [], stats };

  // The reference: the core's state machine over the committed log, index by index, and the answers it gives.
  const reference = { kv: emptyKv(), results: [] as (KvResult | null)[], commands: [] as (KvCommand | null)[], data: [] as Record<string, string>[] };
  const firstOf = new Map<string, number>(); // "client seq" -> the first index that carried it
  const referenceAt = (index: number, command: KvCommand | null): { expected: KvResult | null; session: Mismatch['session']; duplicateOf: number | undefined } => {
    while (reference.results.length < index) {
      const i = reference.results.length + 1;
      const c = i === index ? command : reference.commands[i - 1]!;
      reference.commands[i - 1] = c;
      if (c !== null && c.client !== undefined && c.seq !== undefined) {
        const key = `${c.client} ${c.seq}`;
        if (firstOf.has(key)) stats.duplicateEntries += 1;
        else firstOf.set(key, i);
      }
      reference.results.push(c === null ? null : structuredClone(coreApply(reference.kv, c)));
      reference.data.push(structuredClone(reference.kv.data));
    }
    const c = reference.commands[index - 1]!;
    const dup = c?.client !== undefined && c.seq !== undefined ? firstOf.get(`${c.client} ${c.seq}`) : undefined;
    return { expected: reference.results[index - 1]!, session: undefined, duplicateOf: dup !== undefined && dup < index ? dup : undefined };
  };
  // The session the core had just before `index` (replayed: only needed to describe a mismatch).
  const sessionBefore = (index: number, client: string | undefined): Mismatch['session'] => {
    if (client === undefined) return undefined;
    const kv = emptyKv();
    for (let i = 1; i < index; i++) {
      const c = reference.commands[i - 1];
      if (c !== null && c !== undefined) coreApply(kv, c);
    }
    return kv.sessions[client];
  };

  const config = (id: string, restarts: number): Config => ({
    id,
    members: [...NODES],
    electionTicks: [10, 20],
    heartbeatTicks: 3,
    seed: seed * 7919 + id.charCodeAt(1) * 104729 + restarts,
    maxEntriesPerMessage: 64,
  });
  const nodes: Record<string, Node> = {};
  for (const id of NODES) {
    const disk: Persisted = { term: 0, votedFor: null, snapshot: null, entries: [] };
    nodes[id] = { id, up: true, raft: createNode(config(id, 0), disk), kv: emptyKv(), waiting: {}, disk, restarts: 0 };
  }
  const clients: Client[] = CLIENTS.map((id) => ({ id, seq: 0, pending: null, leader: pick(NODES), idleUntil: between(0, 10), seen: {} }));
  let packets: Packet[] = [];
  let now = 0;

  const sendLater = (p: Omit<Packet, 'at'>) => {
    if (chance(0.05)) return; // lost
    packets.push({ ...p, at: now + between(1, 3) } as Packet);
    if (chance(0.05)) packets.push({ ...p, at: now + between(1, 15) } as Packet); // and a second copy, maybe much later
  };

  /** service.ts's advance(), with the learner's loop: persist, send, apply, answer. */
  const advance = (node: Node) => {
    const r = ready(node.raft);
    if (r.hardState !== null) Object.assign(node.disk, r.hardState);
    if (r.snapshot !== null) {
      node.disk.snapshot = structuredClone(r.snapshot);
      node.disk.entries = node.disk.entries.filter((e) => e.index > r.snapshot!.lastIndex);
    }
    if (r.log !== null) {
      node.disk.entries = [...node.disk.entries.filter((e) => e.index < r.log!.truncateFrom), ...structuredClone(r.log.entries)];
    }
    for (const m of r.messages) sendLater({ to: m.to, raft: m });
    if (r.applySnapshot !== null) {
      node.kv = structuredClone(r.applySnapshot.data as KvState);
      stats.snapshotsInstalled += 1;
      for (const index of Object.keys(node.waiting).map(Number)) if (index <= r.applySnapshot.lastIndex) delete node.waiting[index];
    }
    if (r.committed.length > 0) applyCommitted(node, r.committed);
    const since = node.raft.lastApplied - (node.raft.snapshot?.lastIndex ?? 0);
    if (since >= SNAPSHOT_EVERY) compact(node.raft, node.raft.lastApplied, structuredClone(node.kv));
  };

  const applyCommitted = (node: Node, committed: Entry[]) => {
    const given = committed.map((e) => deepFreeze(structuredClone(e)));
    let results: unknown;
    try {
      results = applyEntries(node.kv, Object.freeze(given));
    } catch (err) {
      run.broken ??= { node: node.id, tick: now, message: `applyEntries threw: ${err instanceof Error ? err.message : String(err)}`, error: err };
      throw new Stop();
    }
    if (!Array.isArray(results) || results.length !== committed.length) {
      run.broken ??= {
        node: node.id,
        tick: now,
        message: `applyEntries was given ${committed.length === 1 ? `1 entry (index ${committed[0]!.index})` : `${committed.length} entries (indexes ${committed[0]!.index} to ${committed.at(-1)!.index})`} and returned ${Array.isArray(results) ? `${results.length} answer${results.length === 1 ? '' : 's'}` : String(JSON.stringify(results))}`,
      };
      throw new Stop();
    }
    committed.forEach((entry, i) => {
      const got = (results as unknown[])[i];
      const command = entry.command as KvCommand | null;
      const ref = referenceAt(entry.index, command);
      if (run.mismatch === undefined && !sameResult(got, ref.expected)) {
        run.mismatch = { tick: now, node: node.id, index: entry.index, command, session: sessionBefore(entry.index, command?.client), duplicateOf: ref.duplicateOf, kind: 'answer', expected: ref.expected, got: structuredClone(got) };
      }
      const w = node.waiting[entry.index];
      if (w === undefined) return;
      delete node.waiting[entry.index];
      // Our proposal sat at this index. If another leader's entry is there now, ours was never committed (§5.4).
      if (w.term !== entry.term || command === null) {
        sendLater({ client: w.client, reply: { kind: 'retry', seq: w.seq, leader: node.raft.leaderId, why: 'lost leadership' } });
      } else {
        sendLater({ client: w.client, reply: { kind: 'answer', seq: w.seq, result: got as KvResult } });
      }
    });
    const lastIndex = committed.at(-1)!.index;
    if (run.mismatch === undefined) {
      for (const entry of committed) referenceAt(entry.index, entry.command as KvCommand | null);
      const want = reference.data[lastIndex - 1]!;
      if (!sameData(node.kv.data, want)) {
        // Blame the first copy of an earlier request in this batch, if there is one: it must not have acted.
        const culprit = committed.find((e) => referenceAt(e.index, e.command as KvCommand | null).duplicateOf !== undefined) ?? committed.at(-1)!;
        const command = culprit.command as KvCommand | null;
        run.mismatch = { tick: now, node: node.id, index: culprit.index, command, session: sessionBefore(culprit.index, command?.client), duplicateOf: referenceAt(culprit.index, command).duplicateOf, kind: 'data', expected: structuredClone(want), got: structuredClone(node.kv.data) };
      }
    }
  };

  const crash = (node: Node) => {
    node.up = false;
    stats.crashes += 1;
    packets = packets.filter((p) => !('to' in p) || p.to !== node.id);
  };
  const restart = (node: Node) => {
    node.restarts += 1;
    node.raft = createNode(config(node.id, node.restarts), structuredClone(node.disk));
    node.kv = node.disk.snapshot === null ? emptyKv() : structuredClone(node.disk.snapshot.data as KvState);
    node.waiting = {};
    node.up = true;
  };

  const newRequest = (c: Client) => {
    c.seq += 1;
    const key = pick(KEYS);
    const roll = random();
    const value = `${c.id}.${c.seq}`;
    let op: KvCommand;
    if (roll < 0.35) op = { op: 'get', key };
    else if (roll < 0.6) op = { op: 'put', key, value };
    else if (roll < 0.92) op = { op: 'cas', key, expected: c.seen[key] ?? null, value };
    else op = { op: 'delete', key };
    const command: KvCommand = { ...op, client: c.id, seq: c.seq };
    const record: KvOperation = { client: c.id, op: op.op, key, call: now, return: null };
    if (op.op === 'put' || op.op === 'cas') record.value = op.value;
    if (op.op === 'cas') record.expected = op.expected;
    c.pending = { command, record, sentAt: now, target: c.leader };
    run.history.push(record);
    stats.requests += 1;
    sendLater({ to: c.leader, request: { kind: 'request', client: c.id, command } });
  };
  const resend = (c: Client, to: string) => {
    const p = c.pending!;
    stats.retries += 1;
    p.sentAt = now;
    p.target = to;
    c.leader = to;
    sendLater({ to, request: { kind: 'request', client: c.id, command: p.command } });
  };

  const onReply = (c: Client, reply: ToClient) => {
    const p = c.pending;
    if (p === null || reply.seq !== p.command.seq) return; // a late or doubled answer to an earlier request
    if (reply.kind === 'retry') {
      const next = reply.leader !== null && reply.leader !== p.target ? reply.leader : pick(NODES.filter((n) => n !== p.target));
      resend(c, next);
      return;
    }
    const { result } = reply;
    p.record.return = now;
    if (p.command.op === 'get') p.record.output = result.value;
    else if (p.command.op === 'cas') p.record.output = result.ok;
    else p.record.output = 'ok';
    c.seen[p.command.key] = p.command.op === 'get' ? result.value : p.command.op === 'put' ? p.command.value : p.command.op === 'delete' ? null : result.ok ? p.command.value : result.value;
    c.pending = null;
    c.idleUntil = now + between(0, 6);
    stats.answered += 1;
  };

  const onRequest = (node: Node, req: ToNode) => {
    const p = propose(node.raft, req.command);
    if (!p.ok) {
      sendLater({ client: req.client, reply: { kind: 'retry', seq: req.command.seq!, leader: p.leaderId, why: 'not the leader' } });
      return;
    }
    node.waiting[p.index] = { term: p.term, client: req.client, seq: req.command.seq! };
  };

  const leaderTerms = new Set<number>();
  try {
    for (now = 1; now <= ticks; now++) {
      // Faults: a crash now and then, the leader more often than not; a crashed node comes back after a while.
      for (const node of Object.values(nodes)) {
        if (!node.up && chance(0.04)) restart(node);
      }
      if (chance(0.012)) {
        const upNodes = Object.values(nodes).filter((n) => n.up);
        const leader = upNodes.find((n) => n.raft.role === 'leader');
        const victim = leader !== undefined && chance(0.7) ? leader : pick(upNodes);
        if (victim !== undefined && upNodes.length === NODES.length) crash(victim);
      }
      // Time passes on every node that is up.
      for (const node of Object.values(nodes)) {
        if (!node.up) continue;
        tick(node.raft);
        advance(node);
      }
      // Deliver what is due, in the order it was sent.
      const due = packets.filter((p) => p.at <= now);
      packets = packets.filter((p) => p.at > now);
      for (const p of due) {
        if ('raft' in p) {
          const node = nodes[p.to]!;
          if (!node.up) continue;
          step(node.raft, p.raft);
          advance(node);
        } else if ('request' in p) {
          const node = nodes[p.to]!;
          if (!node.up) continue;
          onRequest(node, p.request);
          advance(node);
        } else {
          onReply(clients.find((c) => c.id === p.client)!, p.reply);
        }
      }
      for (const node of Object.values(nodes)) if (node.up && node.raft.role === 'leader') leaderTerms.add(node.raft.term);
      // Clients: start the next request, or retry one that has waited too long, at another node.
      for (const c of clients) {
        if (c.pending === null) {
          if (now >= c.idleUntil && now < ticks - 60) newRequest(c);
        } else if (now - c.pending.sentAt >= CLIENT_TIMEOUT) {
          resend(c, pick(NODES.filter((n) => n !== c.pending!.target)));
        }
      }
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  stats.leaders = leaderTerms.size;
  return run;
}

class Stop extends Error {}

function sameResult(got: unknown, want: KvResult | null): boolean {
  if (want === null) return got === null;
  if (typeof got !== 'object' || got === null) return false;
  const g = got as Partial<KvResult>;
  return g.ok === want.ok && g.value === want.value && Object.keys(g).every((k) => k === 'ok' || k === 'value');
}

function sameData(got: unknown, want: Record<string, string>): boolean {
  if (typeof got !== 'object' || got === null) return false;
  const g = got as Record<string, unknown>;
  return Object.keys(g).length === Object.keys(want).length && Object.entries(want).every(([k, v]) => g[k] === v);
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}
