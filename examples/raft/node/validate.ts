// Everything that reaches a Raft node from outside is checked here before the core sees it: a client's key,
// value and exactly-once identity, and every field of a peer's messages. A message that fails a check is
// refused whole (400, nothing stepped), so a buggy or hostile sender cannot put a malformed command into the
// replicated log, where every node would apply it (and no restart could get rid of it).

import type { KvState } from '../core/kv.ts';
import type { Message, NodeId, Snapshot } from '../core/types.ts';

export const MAX_KEY_CHARS = 200;
export const MAX_VALUE_BYTES = 64 * 1024;
export const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const shown = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** A key: 1 to 200 characters, no control characters. Returns what is wrong, or null. */
export function keyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return `the key must be a string, got ${shown(key)}`;
  if (key.length === 0) return 'the key is empty; use /kv/<key> with 1 to 200 characters';
  if (key.length > MAX_KEY_CHARS) return `the key is ${key.length} characters long; at most ${MAX_KEY_CHARS} are allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'the key contains a control character (a newline, tab, NUL, ...); keys are printable text';
  return null;
}

/** A value: a string of at most 64 KiB (UTF-8). Returns what is wrong, or null. */
export function valueProblem(value: unknown, field = 'value'): string | null {
  if (typeof value !== 'string') return `field "${field}" must be a string, got ${value === undefined ? 'nothing' : shown(value)}`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) return `field "${field}" is ${bytes} bytes long; at most ${MAX_VALUE_BYTES} (64 KiB) are allowed`;
  return null;
}

export function clientProblem(client: unknown, seq: unknown): string | null {
  if (client === undefined && seq === undefined) return null;
  if (client === undefined || seq === undefined) return 'give both client and seq (exactly-once: ?client=<id>&seq=<n>) or neither';
  if (typeof client !== 'string' || !CLIENT_ID.test(client)) return `client must be 1 to 64 characters of A-Z a-z 0-9 . _ -, got ${shown(client)}`;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return `seq must be a positive whole number, got ${shown(seq)}`;
  return null;
}

/** A KV command as it may sit in the log (from a client after parsing, or inside a peer's entry). */
export function commandProblem(c: unknown): string | null {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'a command must be an object';
  const cmd = c as Record<string, unknown>;
  const allowed: Record<string, string[]> = { put: ['value'], get: [], delete: [], cas: ['expected', 'value'] };
  const op = cmd.op;
  if (typeof op !== 'string' || !Object.hasOwn(allowed, op)) return `op must be put, get, delete or cas, got ${shown(op)}`;
  const extra = Object.keys(cmd).find((k) => !['op', 'key', 'client', 'seq', ...allowed[op]!].includes(k));
  if (extra !== undefined) return `a ${op} command has no field ${shown(extra)}`;
  const problem = keyProblem(cmd.key) ?? clientProblem(cmd.client, cmd.seq);
  if (problem !== null) return problem;
  if (op === 'put' || op === 'cas') {
    const v = valueProblem(cmd.value);
    if (v !== null) return v;
  }
  if (op === 'cas' && cmd.expected !== null) return valueProblem(cmd.expected, 'expected');
  return null;
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function entriesProblem(entries: unknown, prevLogIndex: number, term: number): string | null {
  if (!Array.isArray(entries)) return 'entries must be an array';
  for (const [i, e] of entries.entries()) {
    if (typeof e !== 'object' || e === null) return `entries[${i}] must be an object`;
    const entry = e as Record<string, unknown>;
    if (entry.index !== prevLogIndex + 1 + i) return `entries[${i}].index must be ${prevLogIndex + 1 + i} (entries follow prevLogIndex without gaps)`;
    if (!isIndex(entry.term) || entry.term < 1 || entry.term > term) return `entries[${i}].term must be a whole number from 1 to the message's term`;
    if (entry.command !== null) {
      const p = commandProblem(entry.command);
      if (p !== null) return `entries[${i}].command: ${p}`;
    }
  }
  return null;
}

/** The KV state inside a snapshot: string values, and per client its last seq and answer. */
export function kvStateProblem(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return 'snapshot.data must be an object';
  const { data: kv, sessions } = data as Partial<KvState>;
  if (typeof kv !== 'object' || kv === null || Array.isArray(kv)) return 'snapshot.data.data must be an object of key -> value';
  for (const [k, v] of Object.entries(kv)) if (keyProblem(k) !== null || typeof v !== 'string') return `snapshot.data.data[${shown(k)}] is not a key with a string value`;
  if (typeof sessions !== 'object' || sessions === null || Array.isArray(sessions)) return 'snapshot.data.sessions must be an object';
  for (const [client, s] of Object.entries(sessions)) {
    const session = s as { seq?: unknown; result?: { ok?: unknown; value?: unknown } };
    const fine =
      CLIENT_ID.test(client) &&
      typeof session === 'object' && session !== null &&
      isIndex(session.seq) &&
      typeof session.result === 'object' && session.result !== null &&
      typeof session.result.ok === 'boolean' &&
      (session.result.value === null || typeof session.result.value === 'string');
    if (!fine) return `snapshot.data.sessions[${shown(client)}] is not {seq, result: {ok, value}}`;
  }
  return null;
}

function snapshotProblem(s: unknown): string | null {
  if (typeof s !== 'object' || s === null) return 'snapshot must be an object';
  const snap = s as Partial<Snapshot>;
  if (!isIndex(snap.lastIndex) || snap.lastIndex < 1) return 'snapshot.lastIndex must be a whole number >= 1';
  if (!isIndex(snap.lastTerm) || snap.lastTerm < 1) return 'snapshot.lastTerm must be a whole number >= 1';
  return kvStateProblem(snap.data);
}

/** One message, as the core's types.ts describes it, addressed to `self` from the batch's sender. */
export function messageProblem(m: unknown, from: NodeId, self: NodeId): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'a message must be an object';
  const msg = m as Record<string, unknown>;
  const fields: Record<string, Record<string, (v: unknown) => boolean>> = {
    RequestVote: { lastLogIndex: isIndex, lastLogTerm: isIndex },
    RequestVoteReply: { granted: (v) => typeof v === 'boolean' },
    AppendEntries: { prevLogIndex: isIndex, prevLogTerm: isIndex, leaderCommit: isIndex, entries: Array.isArray },
    AppendEntriesReply: { success: (v) => typeof v === 'boolean', matchIndex: isIndex, conflictTerm: (v) => v === null || isIndex(v), conflictIndex: isIndex },
    InstallSnapshot: { snapshot: (v) => typeof v === 'object' && v !== null },
    InstallSnapshotReply: { matchIndex: isIndex },
  };
  const type = msg.type;
  if (typeof type !== 'string' || !Object.hasOwn(fields, type)) return `type must be one of ${Object.keys(fields).join(', ')}, got ${shown(type)}`;
  if (msg.from !== from) return `message from ${shown(msg.from)} in a batch from ${shown(from)}`;
  if (msg.to !== self) return `message to ${shown(msg.to)} sent to ${self}`;
  if (!isIndex(msg.term)) return 'term must be a whole number >= 0';
  const expected = fields[type]!;
  const extra = Object.keys(msg).find((k) => !['type', 'from', 'to', 'term', ...Object.keys(expected)].includes(k));
  if (extra !== undefined) return `a ${type} has no field ${shown(extra)}`;
  for (const [field, check] of Object.entries(expected)) if (!check(msg[field])) return `${type}.${field} is missing or of the wrong type (${shown(msg[field])})`;
  if (type === 'AppendEntries') return entriesProblem(msg.entries, msg.prevLogIndex as number, msg.term);
  if (type === 'InstallSnapshot') return snapshotProblem(msg.snapshot);
  return null;
}

export const MAX_MESSAGES_PER_BATCH = 10_000;

/** A POST /raft/messages body: {from, messages}. From a member other than us; every message well-formed. */
export function parseMessageBatch(body: unknown, members: readonly NodeId[], self: NodeId): Checked<{ from: NodeId; messages: Message[] }> {
  const fail = (error: string): Checked<never> => ({ ok: false, error });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('the body must be a JSON object {"from": "<node>", "messages": [...]}');
  const { from, messages, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return fail(`unknown field ${shown(Object.keys(rest)[0])}; the body is {from, messages}`);
  if (typeof from !== 'string' || !members.includes(from)) return fail(`"from" must name a member (${members.join(', ')}), got ${shown(from)}`);
  if (from === self) return fail(`"from" is ${self}, this node itself`);
  if (!Array.isArray(messages)) return fail('"messages" must be an array');
  if (messages.length > MAX_MESSAGES_PER_BATCH) return fail(`${messages.length} messages in one batch; at most ${MAX_MESSAGES_PER_BATCH}`);
  for (const [i, m] of messages.entries()) {
    const p = messageProblem(m, from, self);
    if (p !== null) return fail(`messages[${i}]: ${p}`);
  }
  return { ok: true, value: { from, messages: messages as Message[] } };
}
