// Checking what arrives over the network before any of it reaches a node's core (node.ts).
//
// Two kinds of input come in. A CLIENT's request (a key in the path, `consistency` in the query, a JSON body)
// becomes a ClientRequest, or a message that tells a person what to fix: the HTTP adapter sends it as a 400.
// A PEER's batch of messages (`POST /peer {from, messages}`) is checked field by field against the shapes of
// types.ts: a malformed or hostile one is refused whole, so the core only ever sees the messages it was
// written for, and a bad request can never crash a node or reach its disk.
//
// Pure: no I/O, no clock. The adapter decodes nothing itself; it hands over the raw path segment, the query
// pairs and the body text.

import type { ClientRequest, Consistency, PeerMessage } from './types.ts';
import { parseVersionVector, type VersionVector } from './versions.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// #region limits
/** Keys are 1–200 characters (Unicode code points), none of them a control character. */
export const MAX_KEY_LENGTH = 200;
/** A value is a string of at most 64 KiB once encoded as UTF-8. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Node names: what `n1`…`n5` are made of. */
export const NODE_NAME = /^[a-z0-9-]{1,32}$/;
/** A context names at most this many nodes (a cluster is a handful of nodes; more is a made-up context). */
export const MAX_CONTEXT_NODES = 64;
// #endregion limits

export type ClientOp = ClientRequest['op'];

/** What the adapter saw: which operation the route means, the key still percent-encoded, the query, the body. */
export interface ClientInput {
  op: ClientOp;
  key: string;
  query: readonly (readonly [string, string])[];
  body: string;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** The key from the path: percent-decoded, 1–200 characters, no control characters. */
export function parseKey(raw: string): Parsed<string> {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    return fail(`the key in the path is not valid percent-encoding: ${JSON.stringify(raw.slice(0, 40))}`);
  }
  const chars = Array.from(key);
  if (chars.length === 0) return fail(`the key is empty; use /kv/<key> with 1 to ${MAX_KEY_LENGTH} characters`);
  if (chars.length > MAX_KEY_LENGTH) return fail(`the key is ${chars.length} characters long; the limit is ${MAX_KEY_LENGTH}`);
  const at = chars.findIndex((c) => /[\u0000-\u001f\u007f-\u009f]/.test(c));
  if (at !== -1) {
    const code = chars[at]!.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return fail(`the key has a control character (U+${code}) at position ${at + 1}; keys must be printable`);
  }
  return ok(key);
}

/** `?consistency=strong|eventual` (strong when absent); no other query parameter is accepted. */
export function parseConsistency(query: readonly (readonly [string, string])[]): Parsed<Consistency> {
  const unknown = query.find(([name]) => name !== 'consistency');
  if (unknown) return fail(`unknown query parameter ${JSON.stringify(unknown[0].slice(0, 40))}; the only one is "consistency"`);
  if (query.length > 1) return fail(`query parameter "consistency" is given ${query.length} times; give it once`);
  const value = query[0]?.[1] ?? 'strong';
  if (value !== 'strong' && value !== 'eventual') {
    return fail(`consistency must be "strong" or "eventual", got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return ok(value);
}

/** The fields each operation's body may hold. GET has no body; DELETE's is optional. */
const BODY_FIELDS: Record<Exclude<ClientOp, 'get'>, string[]> = {
  put: ['value', 'context'],
  delete: ['context'],
  cas: ['expected', 'value'],
};

/** Parses a body as a JSON object with only the allowed fields. An empty body is {} (checked by the caller). */
export function parseBody(op: ClientOp, text: string): Parsed<Record<string, unknown>> {
  if (text.trim() === '') return ok({});
  if (op === 'get') return fail('a GET takes no body: the key goes in the path, consistency in the query');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return fail(`the body is not valid JSON (${(err as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(`the body must be a JSON object, got ${describe(body)}`);
  }
  const allowed = BODY_FIELDS[op];
  const extra = Object.keys(body).find((field) => !allowed.includes(field));
  if (extra !== undefined) {
    return fail(`unknown field ${JSON.stringify(extra.slice(0, 40))} in the body; ${op.toUpperCase()} takes ${allowed.map((f) => `"${f}"`).join(' and ')}`);
  }
  return ok(body as Record<string, unknown>);
}

/** A value (or cas `expected`): a string of at most 64 KiB in UTF-8. */
export function parseValue(field: string, value: unknown): Parsed<string> {
  if (value === undefined) return fail(`field "${field}" is required (a string)`);
  if (typeof value !== 'string') return fail(`field "${field}" must be a string, got ${describe(value)}`);
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_VALUE_BYTES) return fail(`field "${field}" is ${bytes} bytes in UTF-8; the limit is ${MAX_VALUE_BYTES} (64 KiB)`);
  return ok(value);
}

/** A context: the version vector a read returned, sent back with a write. Node ids must be node names. */
export function parseContext(value: unknown): Parsed<VersionVector | undefined> {
  if (value === undefined) return ok(undefined);
  const parsed = parseVersionVector(value);
  if (!parsed.ok) return fail(`field "context": ${parsed.error}; send back the context a read returned`);
  const nodes = Object.keys(parsed.vv);
  if (nodes.length > MAX_CONTEXT_NODES) return fail(`field "context" names ${nodes.length} nodes; the limit is ${MAX_CONTEXT_NODES}`);
  const odd = nodes.find((node) => !NODE_NAME.test(node));
  if (odd !== undefined) return fail(`field "context" names ${JSON.stringify(odd.slice(0, 40))}, which is not a node name ([a-z0-9-], 1 to 32 characters)`);
  return ok(parsed.vv);
}

// #region client
/** A client's HTTP request as a core ClientRequest, or the first problem with it. `id` is the adapter's. */
export function parseClientRequest(id: string, input: ClientInput): Parsed<ClientRequest> {
  const key = parseKey(input.key);
  if (!key.ok) return key;
  const consistency = parseConsistency(input.query);
  if (!consistency.ok) return consistency;
  const body = parseBody(input.op, input.body);
  if (!body.ok) return body;
  const fields = body.value;
  const base = { id, key: key.value, consistency: consistency.value };
  if (input.op === 'get') return ok({ ...base, op: 'get' });
  if (input.op === 'cas') {
    if (consistency.value !== 'strong') return fail('compare-and-set needs consistency=strong: only a leader can compare and set in one step');
    if (fields.expected === undefined) return fail('field "expected" is required: the value you expect, or null for "the key must not exist"');
    const expected = fields.expected === null ? ok(null) : parseValue('expected', fields.expected);
    if (!expected.ok) return expected;
    const value = parseValue('value', fields.value);
    if (!value.ok) return value;
    return ok({ id, op: 'cas', key: key.value, consistency: 'strong', expected: expected.value, value: value.value });
  }
  const context = parseContext(fields.context);
  if (!context.ok) return context;
  const withContext = context.value === undefined ? base : { ...base, context: context.value };
  if (input.op === 'delete') return ok({ ...withContext, op: 'delete' });
  const value = parseValue('value', fields.value);
  if (!value.ok) return value;
  return ok({ ...withContext, op: 'put', value: value.value });
}
// #endregion client

// ---------------------------------------------------------------------------------------------------------
// Peer messages. A check returns null when the value fits, or what is wrong with it, naming where.

type Check = (value: unknown, where: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check = (v, where) => (typeof v === 'string' ? null : `${where} must be a string`);
const name: Check = (v, where) => (typeof v === 'string' && NODE_NAME.test(v) ? null : `${where} must be a node name`);
const count: Check = (v, where) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : `${where} must be a whole number >= 0`);
const num: Check = (v, where) => (Number.isFinite(v) ? null : `${where} must be a number`);
const bool: Check = (v, where) => (typeof v === 'boolean' ? null : `${where} must be true or false`);
const vv: Check = (v, where) => {
  const parsed = parseVersionVector(v);
  return parsed.ok ? null : `${where}: ${parsed.error}`;
};
const nullable =
  (check: Check): Check =>
  (v, where) =>
    v === null ? null : check(v, where);

/** An object whose every value passes `check` (keys are anything: store keys, node names). */
const record =
  (check: Check): Check =>
  (v, where) => {
    if (!isObject(v)) return `${where} must be an object`;
    for (const [k, item] of Object.entries(v)) {
      const problem = check(item, `${where}[${JSON.stringify(k.slice(0, 40))}]`);
      if (problem !== null) return problem;
    }
    return null;
  };

/** An object with exactly these fields, each passing its check. */
const shape =
  (fields: Record<string, Check>): Check =>
  (v, where) => {
    if (!isObject(v)) return `${where} must be an object`;
    const extra = Object.keys(v).find((k) => !Object.hasOwn(fields, k));
    if (extra !== undefined) return `${where} has an unknown field ${JSON.stringify(extra.slice(0, 40))}`;
    for (const [field, check] of Object.entries(fields)) {
      const problem = check(v[field], `${where}.${field}`);
      if (problem !== null) return problem;
    }
    return null;
  };

const dot = shape({ node: name, counter: count });
const sibling = shape({ dot, value: nullable(str), deleted: bool, timestamp: num });
const siblings: Check = (v, where) => {
  if (!Array.isArray(v)) return `${where} must be an array`;
  for (const [i, item] of v.entries()) {
    const problem = sibling(item, `${where}[${i}]`);
    if (problem !== null) return problem;
  }
  return null;
};
const stored = shape({ siblings, context: vv });
const strongValue = shape({ term: count, seq: count, value: nullable(str) });
const version = shape({ term: count, seq: count });

/** The fields of each message type besides `type`, `from` and `to` (types.ts, PeerMessage). */
const MESSAGE_FIELDS: Record<PeerMessage['type'], Record<string, Check>> = {
  heartbeat: { group: str, term: count, round: count },
  'heartbeat-ok': { group: str, term: count, round: count },
  'vote-request': { group: str, term: count },
  vote: { group: str, term: count, granted: bool, data: nullable(record(strongValue)) },
  sync: { group: str, term: count, data: record(strongValue) },
  'sync-ok': { group: str, term: count },
  replicate: { group: str, term: count, key: str, write: strongValue },
  'replicate-ok': { group: str, term: count, key: str, seq: count },
  stale: { group: str, term: count },
  gossip: { key: str, stored },
  digest: { group: str, digest: num },
  exchange: { group: str, data: record(stored), reply: bool },
  handoff: { data: record(stored), strong: record(strongValue) },
  'handoff-ok': { contexts: record(vv), versions: record(version) },
};

/** The most messages one `POST /peer` may carry. */
export const MAX_PEER_MESSAGES = 10_000;

// #region peer
/** `POST /peer {from, messages}`: every message well-formed and from the node that sent the batch, or an error. */
export function parsePeerBatch(body: unknown): Parsed<{ from: string; messages: PeerMessage[] }> {
  const envelope = shape({ from: name, messages: (v, where) => (Array.isArray(v) ? null : `${where} must be an array`) })(body, 'batch');
  if (envelope !== null) return fail(envelope);
  const { from, messages } = body as { from: string; messages: unknown[] };
  if (messages.length > MAX_PEER_MESSAGES) return fail(`batch.messages holds ${messages.length} messages; the limit is ${MAX_PEER_MESSAGES}`);
  for (const [i, message] of messages.entries()) {
    const where = `batch.messages[${i}]`;
    if (!isObject(message)) return fail(`${where} must be an object`);
    const type = message.type;
    if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_FIELDS, type)) return fail(`${where}.type is not a message type`);
    const problem = shape({ type: str, from: name, to: name, ...MESSAGE_FIELDS[type as PeerMessage['type']] })(message, where);
    if (problem !== null) return fail(problem);
    if (message.from !== from) return fail(`${where}.from is ${JSON.stringify(message.from)}, but the batch is from ${JSON.stringify(from)}`);
  }
  return ok({ from, messages: messages as PeerMessage[] });
}
// #endregion peer

/** A JSON value for an error message: null, an array, the string "x", an object, number 5. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`; // a number or a boolean: short
}
