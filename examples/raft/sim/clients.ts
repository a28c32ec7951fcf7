// KV clients, as §8 of the Raft paper describes them. Each issues one request at a time, numbered by its
// client id and a sequence number (the state machine answers a retry with the first answer: exactly once);
// sends it to the node it believes leads; follows a not-leader hint; and when no answer comes within
// CLIENT_TIMEOUT_TICKS tries again, same seq, at another node. Every operation is recorded in the history
// format of tests/helpers/kv-history.ts: answered ones with their output and return time, ones still waiting
// at the end with return null (outcome unknown).
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { KvCommand, KvOp } from '../core/kv.ts';
import { draw, nextRandom, sendClient } from './network.ts';
import { CLIENT_KEYS, CLIENT_THINK_TICKS, CLIENT_TIMEOUT_TICKS, type ClientAnswer, type HistoryOp, type SimClient, type World } from './types.ts';

/** Starts `count` workload clients (c1, c2, …) that issue random requests until tick `until`. */
/** "Never stop": a number JSON keeps (Infinity would become null in a copied world). */
export const FOREVER = Number.MAX_SAFE_INTEGER;

export function addClients(world: World, count: number, until = FOREVER): void {
  for (let i = 0; i < count; i++) {
    const id = `c${world.clients.filter((c) => c.queue === null).length + 1}`;
    world.clients.push({ id, seq: 0, leader: null, current: null, nextAt: world.now + draw(world, ...CLIENT_THINK_TICKS), until, seen: {}, queue: null });
  }
}

/** A request of your own (the browser's buttons): client 'you' sends it when its previous one is answered. */
export function queueRequest(world: World, op: KvOp): void {
  let you = world.clients.find((c) => c.id === 'you');
  if (you === undefined) {
    you = { id: 'you', seq: 0, leader: null, current: null, nextAt: world.now, until: FOREVER, seen: {}, queue: [] };
    world.clients.push(you);
  }
  you.queue!.push(op);
}

/** Every client whose moment has come: time out and retry, or send its next request. */
export function runClients(world: World): void {
  for (const c of world.clients) {
    if (c.current !== null) {
      if (world.now >= c.current.deadline) retry(world, c, c.current.waiting ? c.current.target : otherNode(world, c.current.target));
    } else if (world.now >= c.nextAt && world.now < c.until) {
      const op = c.queue === null ? randomOp(world, c) : c.queue.shift();
      if (op !== undefined) start(world, c, op);
    }
  }
}

function randomOp(world: World, c: SimClient): KvOp {
  const key = CLIENT_KEYS[draw(world, 0, CLIENT_KEYS.length - 1)]!;
  const r = nextRandom(world);
  const value = `${c.id}.${c.seq + 1}`;
  if (r < 0.4) return { op: 'put', key, value };
  if (r < 0.7) return { op: 'get', key };
  if (r < 0.9) return { op: 'cas', key, expected: c.seen[key] ?? null, value };
  return { op: 'delete', key };
}

function start(world: World, c: SimClient, op: KvOp): void {
  c.seq += 1;
  const record: HistoryOp = { client: c.id, op: op.op, key: op.key, call: world.now, return: null, seq: c.seq };
  if (op.op === 'put' || op.op === 'cas') record.value = op.value;
  if (op.op === 'cas') record.expected = op.expected;
  world.history.push(record);
  const command: KvCommand = { ...op, client: c.id, seq: c.seq };
  const target = c.leader ?? world.ids[draw(world, 0, world.ids.length - 1)]!;
  c.current = { command, attempt: 0, target, deadline: 0, historyIndex: world.history.length - 1, waiting: false };
  retry(world, c, c.current.target);
}

/** (Re)sends the current request, same seq, to `target`. */
function retry(world: World, c: SimClient, target: string): void {
  const cur = c.current!;
  cur.attempt += 1;
  if (!world.exactlyOnce) cur.command = { ...cur.command, client: `${c.id}#${cur.attempt}` }; // a stranger each time
  cur.target = target;
  cur.waiting = false;
  cur.deadline = world.now + CLIENT_TIMEOUT_TICKS;
  world.history[cur.historyIndex]!.node = target;
  sendClient(world, c.id, target, { kind: 'request', requestId: `${c.id}/${cur.command.seq}/${cur.attempt}`, command: cur.command });
}

function otherNode(world: World, not: string): string {
  const others = world.ids.filter((id) => id !== not);
  return others.length === 0 ? not : others[draw(world, 0, others.length - 1)]!;
}

// #region reply
/** A node's answer reached the client. Any attempt's answer to the current seq counts: they are one request. */
export function onReply(world: World, from: string, requestId: string, answer: ClientAnswer): void {
  const [clientId, seqText, attemptText] = requestId.split('/');
  const c = world.clients.find((x) => x.id === clientId);
  const cur = c?.current;
  if (c === undefined || cur === undefined || cur === null || cur.command.seq !== Number(seqText)) return; // answered already
  if (answer.ok) {
    const r = world.history[cur.historyIndex]!;
    r.return = world.now;
    r.node = from;
    if (r.op === 'get') r.output = answer.result.value;
    else if (r.op === 'cas') r.output = answer.result.ok;
    else r.output = answer.result.value;
    c.seen[r.key] = r.op === 'get' ? answer.result.value : r.op === 'delete' ? null : r.op === 'put' ? (r.value ?? null) : answer.result.ok ? (r.value ?? null) : answer.result.value;
    c.leader = from;
    c.current = null;
    c.nextAt = world.now + draw(world, ...CLIENT_THINK_TICKS);
    return;
  }
  // Not the leader, or our entry lost to another leader's (not applied): go where the hint says, or wait a
  // little and try another node. A refusal of an earlier attempt is old news: that attempt was retried already.
  if (Number(attemptText) !== cur.attempt) return;
  const hint = answer.reason === 'not-leader' ? answer.leaderId : null;
  if (hint !== null && hint !== from) {
    c.leader = hint;
    retry(world, c, hint);
  } else {
    c.leader = null;
    cur.waiting = true;
    cur.target = otherNode(world, from);
    cur.deadline = world.now + draw(world, 10, 50);
  }
}
// #endregion reply
