// The history of a key-value store as its clients saw it: one record per operation, with the time it was
// called and the time it returned. `npm run chaos:store -- --out history.jsonl` writes one, the store's
// simulator builds them in memory, and Part IV's Raft KV uses the same format. tests/helpers/linearizability.ts
// checks them. This file defines the format, validates records, and reads/writes the JSONL file (one JSON
// object per line). It is pure (no node: imports): read the file yourself and hand over the text:
//
//   const history = parseHistory(readFileSync(path, 'utf8'), path);
//
// ## One operation
//
//   { "client": 3, "op": "cas", "key": "k1", "expected": "a", "value": "b", "output": true,
//     "call": 1042, "return": 1049 }
//
// | field      | meaning                                                                                   |
// |------------|-------------------------------------------------------------------------------------------|
// | `client`   | who issued it (string or number); only used to describe operations in a report            |
// | `op`       | `put` \| `get` \| `delete` \| `cas`                                                         |
// | `key`      | the key (a string). Keys are checked independently of each other                          |
// | `value`    | put: the value written. cas: the value written if it succeeds. Values are strings         |
// | `expected` | cas only: the value the key must hold for the cas to succeed; `null` = "key is absent"    |
// | `output`   | what the client was told (see below)                                                      |
// | `call`     | when the client sent it (milliseconds, all clients on ONE clock)                          |
// | `return`   | when the client got the answer; `null` = outcome unknown (timeout, crash, lost reply)     |
// | `error`    | present (a string) when the operation was definitely refused: it did not take effect     |
//
// `output`, for an operation that returned (return is a number, no error):
// - get:    the value read (a string), or `null` when the key was absent. Required.
// - put:    ignored (write "ok" or leave it out). A put that returned took effect.
// - delete: ignored, like put. Deleting an absent key is allowed and leaves it absent.
// - cas:    `true` if it swapped (the key held `expected`, now holds `value`), `false` if it did not (the key
//           held something else, and was left as it was). Required.
// An operation with an unknown outcome has no output (leave it out or write null). A refused operation's
// output is ignored. Other fields (say a node name) may be present and are ignored.
//
// Why "unknown" and "refused" differ: a request that timed out may still have been applied — perhaps much
// later, after a retry queue or a recovered leader delivered it — so the checker must allow both. A request
// the store answered with "no" (the minority side of a partition refusing a strong write) never took effect.

export type KvOpName = 'put' | 'get' | 'delete' | 'cas';

export interface KvOperation {
  client: string | number;
  op: KvOpName;
  key: string;
  /** put: the value written; cas: the value written on success. */
  value?: string | null;
  /** cas: the value the key must hold for the swap; null = the key must be absent. */
  expected?: string | null;
  /** get: string | null (absent); cas: boolean; put/delete: ignored. Absent when the outcome is unknown. */
  output?: unknown;
  /** Milliseconds, one clock for all clients. */
  call: number;
  /** Milliseconds, or null when the outcome is unknown. */
  return: number | null;
  /** Present when the operation was definitely refused (not applied). */
  error?: string;
}

const OP_NAMES: readonly string[] = ['put', 'get', 'delete', 'cas'];

/**
 * Checks that `raw` is a well-formed operation and returns it, typed. Throws an Error whose message starts
 * with `where` (e.g. "history.jsonl line 3" or "history[2]") and says which field is wrong and why.
 */
export function validateOperation(raw: unknown, where: string): KvOperation {
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('an operation must be a JSON object');
  const o = raw as Record<string, unknown>;

  if (!(typeof o.client === 'string' || isFiniteNumber(o.client))) fail(`"client" must be a string or a number, got ${show(o.client)}`);
  if (!OP_NAMES.includes(o.op as string)) fail(`"op" must be one of put, get, delete, cas, got ${show(o.op)}`);
  if (typeof o.key !== 'string') fail(`"key" must be a string, got ${show(o.key)}`);
  if (!isFiniteNumber(o.call)) fail(`"call" must be a number (milliseconds), got ${show(o.call)}`);
  if (!(o.return === null || isFiniteNumber(o.return))) {
    fail(`"return" must be a number (milliseconds) or null (outcome unknown), got ${show(o.return)}`);
  }
  if (o.return !== null && (o.return as number) < (o.call as number)) fail(`"return" (${o.return}) is before "call" (${o.call})`);
  if (o.error !== undefined && typeof o.error !== 'string') fail(`"error" must be a string when present, got ${show(o.error)}`);

  const op = o.op as KvOpName;
  if (op === 'put' || op === 'cas') {
    if (typeof o.value !== 'string') fail(`a ${op} needs "value", a string, got ${show(o.value)}`);
  } else if (o.value !== undefined && o.value !== null) {
    fail(`a ${op} takes no "value", got ${show(o.value)}`);
  }
  if (op === 'cas') {
    if (!(typeof o.expected === 'string' || o.expected === null)) {
      fail(`a cas needs "expected", a string or null (key absent), got ${show(o.expected)}`);
    }
  } else if (o.expected !== undefined && o.expected !== null) {
    fail(`a ${op} takes no "expected", got ${show(o.expected)}`);
  }

  // What the client was told only matters when it was told something and the operation was not refused.
  if (o.error === undefined) {
    if (o.return === null) {
      if (o.output !== undefined && o.output !== null) {
        fail(`an operation with unknown outcome ("return": null) cannot have an "output", got ${show(o.output)}`);
      }
    } else if (op === 'get' && !(typeof o.output === 'string' || o.output === null)) {
      fail(`a get that returned needs "output": the value read, or null when the key was absent; got ${show(o.output)}`);
    } else if (op === 'cas' && typeof o.output !== 'boolean') {
      fail(`a cas that returned needs "output": true (swapped) or false (not swapped), got ${show(o.output)}`);
    }
  }
  return o as unknown as KvOperation;
}

/**
 * Reads a JSONL history: one operation per line; blank lines are skipped. `source` names the file in error
 * messages. Throws on the first bad line, naming it: `history.jsonl line 7: "call" must be a number ...`.
 */
export function parseHistory(text: string, source = 'history'): KvOperation[] {
  const history: KvOperation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${source} line ${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    history.push(validateOperation(raw, where));
  }
  return history;
}

/** The inverse of parseHistory: one JSON object per line, ending with a newline. */
export function formatHistory(history: readonly KvOperation[]): string {
  return history.map((op) => JSON.stringify(op) + '\n').join('');
}

function isFiniteNumber(x: unknown): x is number {
  return Number.isFinite(x); // false for anything but a number, and for NaN and ±Infinity
}

function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  return typeof x === 'number' && !Number.isFinite(x) ? String(x) : JSON.stringify(x); // not "null" for NaN
}
