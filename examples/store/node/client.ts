// A small typed client for one store node's HTTP API (server.ts), used by the tests, the runner, the chaos
// command and the benchmark. It uses the fetch built into Node.
//
// Every call returns an Answer instead of throwing on 4xx/5xx: for a store, "refused" (503, not applied),
// "unknown" (504, maybe applied) and "no answer at all" are outcomes a caller must tell apart, not
// exceptions. `kind` says which:
//   ok          200 (a value, or a write acknowledged)
//   not-found   404 on a key (absent or deleted; `context` still comes back)
//   mismatch    409 on cas (the current `values`)
//   refused     503: definitely NOT applied; `reason` says why (no-leader, no-majority, partitioned, ...)
//   unknown     504, or no answer after the request was sent: it may or may not have been applied
//   bad-request any other 4xx: the request itself is wrong (`error` says what)
//   error       the node answered something unexpected (500, not JSON)
// A connection that could not even be opened (the node is down) is `refused` with reason 'unreachable': the
// request never left this process.

import type { Consistency, Version } from '../core/types.ts';
import type { NodeStatus } from '../core/node.ts';
import type { VersionVector } from '../core/versions.ts';

export type { Consistency, Version, VersionVector };

export type AnswerKind = 'ok' | 'not-found' | 'mismatch' | 'refused' | 'unknown' | 'bad-request' | 'error';

export interface Answer {
  kind: AnswerKind;
  status: number; // 0 when there was no HTTP answer
  /** The values read (ok on a get), or the current values (mismatch). */
  values?: string[];
  context?: VersionVector;
  /** Strong answers: the version (leader's term, sequence number) of the value read or written. */
  version?: Version;
  /** Which node answered, the key's group, its leader and term (when the node said). */
  node?: string;
  group?: string;
  leader?: string | null;
  term?: number;
  error?: string;
  reason?: string;
  /** The whole JSON body, for anything else. */
  body: Record<string, unknown> | null;
}

export interface StoreStatus extends NodeStatus {
  blocked: string[];
  peers: Record<string, string>;
}

export interface RequestOptions {
  consistency?: Consistency;
  /** The context of an earlier read: the write replaces exactly the values that read saw. */
  context?: VersionVector;
  /** Give up after this long (default 10 s); a write given up on is 'unknown'. */
  timeoutMs?: number;
}

export interface StoreClient {
  readonly baseUrl: string;
  get(key: string, options?: RequestOptions): Promise<Answer>;
  put(key: string, value: string, options?: RequestOptions): Promise<Answer>;
  delete(key: string, options?: RequestOptions): Promise<Answer>;
  /** Compare-and-set (strong only): writes `value` if the key holds exactly `expected` (null: holds nothing). */
  cas(key: string, expected: string | null, value: string, options?: Pick<RequestOptions, 'timeoutMs'>): Promise<Answer>;
  status(timeoutMs?: number): Promise<StoreStatus>;
  block(peers: string[]): Promise<string[]>;
  /** Heals every blocked peer, or only those given. */
  heal(peers?: string[]): Promise<string[]>;
  members(members: string[], peers?: Record<string, string>): Promise<StoreStatus>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createStoreClient(baseUrl: string): StoreClient {
  const base = baseUrl.replace(/\/+$/, '');
  const kvPath = (key: string, consistency?: Consistency) =>
    `/kv/${encodeURIComponent(key)}${consistency === undefined ? '' : `?consistency=${consistency}`}`;

  async function call(method: string, path: string, body: unknown, write: boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Answer> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    let res: Response;
    try {
      res = await fetch(base + path, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      if (cause === 'ECONNREFUSED') return { kind: 'refused', status: 0, reason: 'unreachable', error: `${base} refused the connection`, body: null };
      const error = `no answer from ${base} (${cause ?? (err as Error).name})`;
      return write ? { kind: 'unknown', status: 0, error, body: null } : { kind: 'refused', status: 0, reason: 'unreachable', error, body: null };
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      // not JSON: kind 'error' below
    }
    return toAnswer(res.status, json, text);
  }

  async function admin<T>(path: string, body: unknown, timeoutMs = 5_000): Promise<T> {
    const answer = await call(body === undefined ? 'GET' : 'POST', path, body, false, timeoutMs);
    if (answer.status !== 200 || answer.body === null) throw new Error(`${path} on ${base}: ${answer.status} ${answer.error ?? ''}`);
    return answer.body as T;
  }

  return {
    baseUrl: base,
    get: (key, o = {}) => call('GET', kvPath(key, o.consistency), undefined, false, o.timeoutMs),
    put: (key, value, o = {}) => call('PUT', kvPath(key, o.consistency), o.context === undefined ? { value } : { value, context: o.context }, true, o.timeoutMs),
    delete: (key, o = {}) => call('DELETE', kvPath(key, o.consistency), o.context === undefined ? undefined : { context: o.context }, true, o.timeoutMs),
    cas: (key, expected, value, o = {}) => call('POST', `${kvPath(key)}/cas`, { expected, value }, true, o.timeoutMs),
    status: (timeoutMs) => admin<StoreStatus>('/status', undefined, timeoutMs),
    block: async (peers) => (await admin<{ blocked: string[] }>('/admin/block', { peers })).blocked,
    heal: async (peers) => (await admin<{ blocked: string[] }>('/admin/heal', peers === undefined ? {} : { peers })).blocked,
    members: (members, peers) => admin<StoreStatus>('/admin/members', peers === undefined ? { members } : { members, peers }),
  };
}

function toAnswer(status: number, json: Record<string, unknown> | null, text: string): Answer {
  const kind: AnswerKind =
    json === null || status >= 500 && status !== 503 && status !== 504
      ? 'error'
      : status === 200
        ? 'ok'
        : status === 404 && 'context' in json
          ? 'not-found'
          : status === 409
            ? 'mismatch'
            : status === 503
              ? 'refused'
              : status === 504
                ? 'unknown'
                : status >= 400 && status < 500
                  ? 'bad-request'
                  : 'error';
  const answer: Answer = { kind, status, body: json };
  if (json === null) {
    answer.error = text.slice(0, 200);
    return answer;
  }
  if (Array.isArray(json.values)) answer.values = json.values as string[];
  if (typeof json.context === 'object' && json.context !== null) answer.context = json.context as VersionVector;
  if (typeof json.node === 'string') answer.node = json.node;
  if (typeof json.group === 'string') answer.group = json.group;
  if (typeof json.version === 'object' && json.version !== null) answer.version = json.version as Version;
  if ('leader' in json) answer.leader = json.leader as string | null;
  if (typeof json.term === 'number') answer.term = json.term;
  if (typeof json.error === 'string') answer.error = json.error;
  if (typeof json.reason === 'string') answer.reason = json.reason;
  return answer;
}
