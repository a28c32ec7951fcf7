// The clients: they send get/put/delete/cas to a node, follow its `forward` answers (at most MAX_HOPS hops,
// as the Node server forwards), try again after a refusal ('unavailable': definitely not applied) with a
// growing pause, and write down every operation as they saw it, in the history format of
// tests/helpers/kv-history.ts: a return time, or null when they cannot know the outcome (the core said
// 'unknown', no answer came in time, or the node holding the request crashed), and `error` when it was refused.
//
// A client stands next to the node it first talks to: that link is never cut. A forwarded request crosses the
// network between that node and the next, so a partition or a lost message can stop it, as it would stop the
// Node server's forwarded HTTP request.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { ClientRequest, Reply } from '../core/types.ts';
import { draw, emit, isCut, schedule, send } from './network.ts';
import type { Action, RequestSpec } from './script.ts';
import { CLIENT_TIMEOUT_MS, MAX_ATTEMPTS, MAX_HOPS, RETRY_BASE_MS, THINK_MS, type Body, type ClientOp, type HistoryOp, type World } from './types.ts';

// #region start
/** A client sends a request to `spec.node`. Returns the operation (its `record` fills in when it ends). */
export function startOp(world: World, spec: RequestSpec, client: string | number, context?: Record<string, number>): ClientOp {
  const consistency = spec.op === 'cas' ? 'strong' : spec.consistency;
  const record: HistoryOp = { client, op: spec.op, key: spec.key, call: world.now, return: null, consistency, node: spec.node };
  if (spec.op === 'put' || spec.op === 'cas') record.value = spec.value!;
  if (spec.op === 'cas') record.expected = spec.expected ?? null;
  const op: ClientOp = { ...spec, consistency, id: world.ops.length + 1, client, call: world.now, attempt: 1, hop: 0, target: spec.node, done: false, waiting: false, record };
  if (context !== undefined) op.context = context;
  world.ops.push(op);
  world.history.push(record);
  world.stats.operations += 1;
  sendAttempt(world, op);
  return op;
}

function sendAttempt(world: World, op: ClientOp): void {
  op.waiting = false;
  op.hop = 0;
  op.target = op.node;
  if (!world.nodes[op.node]?.up) return refused(world, op, `${op.node} is down (connection refused)`);
  sendHop(world, op, null);
}

function sendHop(world: World, op: ClientOp, link: [string, string] | null): void {
  const body: Body = { kind: 'request', opId: op.id, attempt: op.attempt, hop: op.hop };
  send(world, link === null ? who(op) : link[0], op.target, `${op.op} ${op.key}${op.hop > 0 ? ' (forwarded)' : ''}`, body, link);
  schedule(world, world.now + CLIENT_TIMEOUT_MS, { type: 'client-timeout', opId: op.id, attempt: op.attempt, hop: op.hop });
}
// #endregion start

/** A request arrives at a node: it goes into the core with an id that names the operation, attempt and hop. */
export function requestFor(world: World, body: Extract<Body, { kind: 'request' }>): ClientRequest {
  const op = world.ops[body.opId - 1]!;
  const id = `${op.id}/${body.attempt}/${body.hop}`;
  const base = { id, key: op.key };
  switch (op.op) {
    case 'get':
      return { ...base, op: 'get', consistency: op.consistency };
    case 'put':
      return { ...base, op: 'put', value: op.value!, consistency: op.consistency, ...(op.context ? { context: op.context } : {}) };
    case 'delete':
      return { ...base, op: 'delete', consistency: op.consistency, ...(op.context ? { context: op.context } : {}) };
    case 'cas':
      return { ...base, op: 'cas', expected: op.expected ?? null, value: op.value!, consistency: 'strong' };
  }
}

// #region replies
/** A node's core answered a request: note strong acknowledgements (for the checks), then send the answer back. */
export function onNodeReply(world: World, node: string, reply: Reply): void {
  const [opId, attempt, hop] = reply.id.split('/').map(Number) as [number, number, number];
  const op = world.ops[opId - 1];
  if (!op) return;
  const o = reply.outcome;
  if (op.consistency === 'strong' && (o.kind === 'written' || o.kind === 'value' || o.kind === 'not-found')) {
    world.acks.push({ at: world.now, node, group: reply.group, term: reply.term, op: op.op, key: op.key, ...(op.value !== undefined ? { value: op.value } : {}) });
    if (o.kind === 'written') {
      emit(world, node, 'committed', `${node} committed ${describe(op)} in ${reply.group} (term ${reply.term}): a majority stored it`, { group: reply.group, key: op.key });
    }
  }
  const body: Body = { kind: 'reply', opId, attempt, hop, outcome: o, node, group: reply.group, term: reply.term, leader: reply.leader };
  const entry = op.node;
  send(world, node, who(op), `${o.kind} ${op.key}`, body, node === entry ? null : [node, entry]);
}

/** The answer reaches the client. */
export function onReplyArrive(world: World, body: Extract<Body, { kind: 'reply' }>): void {
  const op = world.ops[body.opId - 1]!;
  if (op.done || op.waiting || body.attempt !== op.attempt || body.hop !== op.hop) return; // late or duplicate
  const o = body.outcome;
  const record = op.record;
  const c = typeof op.client === 'number' ? world.clients[op.client - 1] : undefined;
  if ('context' in o && c) c.contexts[op.key] = o.context;
  switch (o.kind) {
    case 'forward':
      return forward(world, op, o.to);
    case 'unavailable':
      return refused(world, op, `${body.node}: ${o.reason}`);
    case 'unknown':
      return finish(world, op, null, `outcome unknown: ${o.message}`);
    case 'value':
    case 'not-found': {
      const values = o.kind === 'value' ? o.values : [];
      record.values = values;
      record.output = values.length === 0 ? null : values.join('|');
      if (c) c.lastSeen[op.key] = values.length === 1 ? values[0]! : values.length === 0 ? null : '';
      return finish(world, op, world.now, `${values.length === 0 ? 'absent' : values.join(' | ')} (${body.node}, term ${body.term})`);
    }
    case 'written':
      if (op.op === 'cas') record.output = true;
      else if (op.op === 'put') record.output = 'ok';
      if (c) c.lastSeen[op.key] = op.op === 'delete' ? null : op.value!;
      return finish(world, op, world.now, `ok (${body.node}${op.consistency === 'strong' ? `, term ${body.term}` : ''})`);
    case 'cas-mismatch':
      record.output = false;
      if (c) c.lastSeen[op.key] = o.values.length === 1 ? o.values[0]! : o.values.length === 0 ? null : '';
      return finish(world, op, world.now, `not swapped: the key holds ${o.values.length === 0 ? 'nothing' : o.values.join(' | ')} (${body.node})`);
  }
}

function forward(world: World, op: ClientOp, to: string): void {
  if (op.hop >= MAX_HOPS) return refused(world, op, `still forwarded after ${MAX_HOPS} hops (no settled leader)`);
  const from = op.target;
  op.hop += 1;
  op.target = to;
  if (!world.nodes[to]?.up) return refused(world, op, `${from} forwards to ${to}, which is down (connection refused)`);
  if (isCut(world, op.node, to)) return refused(world, op, `${op.node} cannot reach ${to} to forward it (partition)`);
  sendHop(world, op, to === op.node ? null : [op.node, to]);
}

/** Definitely not applied: try again after a pause, or give up and record the refusal. */
function refused(world: World, op: ClientOp, why: string): void {
  if (op.attempt < MAX_ATTEMPTS) {
    const pause = RETRY_BASE_MS * 2 ** (op.attempt - 1);
    op.waiting = true;
    if (op.client === 'you') emit(world, who(op), 'refused', `${describe(op)} at ${op.node} refused (${why}); trying again in ${pause} ms`, { key: op.key });
    schedule(world, world.now + pause, { type: 'client-retry', opId: op.id });
    return;
  }
  op.record.error = why;
  finish(world, op, world.now, `refused, not applied: ${why}`, 'refused');
}

export function retry(world: World, opId: number): void {
  const op = world.ops[opId - 1]!;
  if (op.done || !op.waiting) return;
  op.attempt += 1;
  sendAttempt(world, op);
}

export function timeout(world: World, opId: number, attempt: number, hop: number): void {
  const op = world.ops[opId - 1]!;
  if (op.done || op.waiting || op.attempt !== attempt || op.hop !== hop) return;
  finish(world, op, null, `no answer within ${CLIENT_TIMEOUT_MS / 1000} s: outcome unknown`);
}

/** A node crashed: every request it held (or was forwarding) will get no answer. */
export function failHeldBy(world: World, node: string): void {
  for (const op of world.ops) {
    if (op.done || op.waiting || (op.target !== node && op.node !== node)) continue;
    finish(world, op, null, `outcome unknown: ${node} crashed while it held the request`);
  }
}

function finish(world: World, op: ClientOp, returned: number | null, text: string, kind?: string): void {
  op.done = true;
  op.record.return = returned;
  emit(world, who(op), kind ?? (returned === null ? 'unknown' : 'answered'), `${describe(op)} at ${op.node}: ${text}`, { key: op.key });
  if (typeof op.client === 'number') {
    const c = world.clients[op.client - 1]!;
    schedule(world, world.now + draw(world.workloadRandom, THINK_MS[0], THINK_MS[1]), { type: 'client-next', client: c.id, until: c.until });
  }
}
// #endregion replies

// #region workload
/** `count` clients that each send one request at a time, with a short pause between, until `until`. */
export function startClients(world: World, action: Extract<Action, { do: 'clients' }>): void {
  for (let i = 0; i < action.count; i++) {
    const id = world.clients.length + 1;
    world.clients.push({ id, mode: action.mode, keys: [...action.keys], until: action.until, contexts: {}, lastSeen: {}, ops: 0 });
    schedule(world, world.now + draw(world.workloadRandom, 0, THINK_MS[1]), { type: 'client-next', client: id, until: action.until });
  }
}

export function clientNext(world: World, id: number): void {
  const c = world.clients[id - 1]!;
  if (world.now >= c.until) return;
  const up = world.nodeNames.filter((n) => world.nodes[n]!.up);
  if (up.length === 0) {
    schedule(world, world.now + 200, { type: 'client-next', client: id, until: c.until });
    return;
  }
  const rnd = world.workloadRandom;
  const key = c.keys[draw(rnd, 0, c.keys.length - 1)]!;
  const node = up[draw(rnd, 0, up.length - 1)]!;
  const r = rnd();
  const value = `c${id}-${++c.ops}`;
  const consistency = c.mode;
  let spec: RequestSpec;
  if (consistency === 'strong') {
    if (r < 0.4) spec = { node, op: 'get', key, consistency };
    else if (r < 0.75) spec = { node, op: 'put', key, consistency, value };
    else if (r < 0.9) spec = { node, op: 'cas', key, consistency, value, expected: c.lastSeen[key] ?? null };
    else spec = { node, op: 'delete', key, consistency };
    startOp(world, spec, id);
  } else {
    if (r < 0.45) spec = { node, op: 'get', key, consistency };
    else if (r < 0.9) spec = { node, op: 'put', key, consistency, value };
    else spec = { node, op: 'delete', key, consistency };
    // Most writes send back the context last read (they replace what the client saw); some are blind (siblings).
    const context = spec.op !== 'get' && rnd() < 0.7 ? c.contexts[key] : undefined;
    startOp(world, spec, id, context);
  }
}
// #endregion workload

function who(op: ClientOp): string {
  return typeof op.client === 'number' ? `client ${op.client}` : op.client;
}

export function describe(op: { op: string; key: string; value?: string; expected?: string | null; consistency: string }): string {
  switch (op.op) {
    case 'put':
      return `put ${op.key}=${op.value} (${op.consistency})`;
    case 'cas':
      return `cas ${op.key} ${op.expected ?? 'absent'} -> ${op.value}`;
    default:
      return `${op.op} ${op.key} (${op.consistency})`;
  }
}

