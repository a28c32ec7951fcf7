// A client for the Raft KV database (server.ts), used by the tests, the runner, the chaos command and the
// benchmark. It does what §8 of the Raft paper asks of a client:
//   - find the leader: start anywhere; a follower answers 421 naming the leader, and the client goes there (at
//     its own address for that name, from `members`; the follower's leaderUrl only for a name it does not know:
//     behind Docker or NAT that URL is the peers' address, http://n3:7400, not one the client can reach);
//     with no leader known (503) or a node that does not answer, it tries the next member, round-robin;
//   - exactly-once: every request carries this client's id and a sequence number (?client=&seq=); a retry
//     (after a timeout, a lost connection, a 504, a leader change) reuses the SAME number, so the cluster
//     applies it once and answers the retry with the first result;
//   - one request at a time per client (the KV state machine remembers only each client's latest seq): calls
//     made while one is in flight wait their turn. Use one client per concurrent worker.
// Each call returns a Result, never throws for an HTTP status:
//   ok: true          an answer: status 200, 404 (get: absent) or 409 (cas: not swapped), with the body
//   ok: false, outcome 'failed'   definitely NOT applied: the request is wrong (400, 413, ...), or every
//                                 attempt was refused before it could be applied, until the deadline
//   ok: false, outcome 'unknown'  it may or may not have been applied: an attempt may have reached a
//                                 leader (a timeout, a reset, a 504) and no later attempt settled it.

import http from 'node:http';
import crypto from 'node:crypto';

export interface RaftClientOptions {
  /** Every member's base URL, e.g. {n1: 'http://127.0.0.1:7401', ...}, or a list of URLs. */
  members: Record<string, string> | string[];
  /** This client's id for exactly-once (default: a random one). 1-64 of [A-Za-z0-9._-]. */
  clientId?: string;
  /** The first sequence number minus one (default 0): a client that restarts with the same id must go on. */
  startSeq?: number;
  /** One HTTP attempt is given up after this long (default 6 s: the server answers 504 after 5 s). */
  attemptTimeoutMs?: number;
  /** A whole call (with its retries) is given up after this long (default 15 s). */
  timeoutMs?: number;
  /** Keep-alive HTTP agent (default: a shared one). */
  agent?: http.Agent;
}

export type KvAnswer = {
  ok: true;
  status: number;
  /** The server's JSON answer: {key, value|previous|swapped, index, node} or {error, ...}. */
  body: Record<string, unknown>;
  /** The node that answered (and, if the status is 2xx/404/409, the leader at that moment). */
  node: string;
  attempts: number;
};
export type KvFailure = { ok: false; outcome: 'failed' | 'unknown'; status: number; error: string; attempts: number };
export type KvResult = KvAnswer | KvFailure;

const sharedAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Closes the shared keep-alive connections (a command-line program calls this before it ends). */
export function closeSharedAgent(): void {
  sharedAgent.destroy();
}

export class RaftClient {
  readonly clientId: string;
  private readonly urls: string[];
  private readonly names = new Map<string, string>(); // node name (#0, #1, ... for a list of URLs) -> our url for it
  private seq: number;
  private leaderUrl: string | null = null;
  private next = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly attemptTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly agent: http.Agent;

  constructor(options: RaftClientOptions) {
    const entries = Array.isArray(options.members) ? options.members.map((u, i) => [`#${i}`, u] as const) : Object.entries(options.members);
    for (const [name, url] of entries) this.names.set(name, url.replace(/\/+$/, ''));
    this.urls = [...this.names.values()];
    if (this.urls.length === 0) throw new Error('a RaftClient needs at least one member URL');
    this.clientId = options.clientId ?? `c-${crypto.randomBytes(6).toString('hex')}`;
    this.seq = options.startSeq ?? 0;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 6_000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.agent = options.agent ?? sharedAgent;
    this.next = Math.floor(Math.random() * this.urls.length);
  }

  /** The URL this client believes is the leader's (null: none known yet). */
  get leader(): string | null {
    return this.leaderUrl;
  }

  get(key: string): Promise<KvResult> {
    return this.call('GET', key, undefined);
  }
  put(key: string, value: string): Promise<KvResult> {
    return this.call('PUT', key, { value });
  }
  delete(key: string): Promise<KvResult> {
    return this.call('DELETE', key, undefined);
  }
  /** Writes `value` if the key holds exactly `expected` (null: the key is absent). */
  cas(key: string, expected: string | null, value: string): Promise<KvResult> {
    return this.call('POST', key, { expected, value }, '/cas');
  }

  /** One call at a time: the next waits for the previous (one outstanding seq per client id). */
  private call(method: string, key: string, body: unknown, suffix = ''): Promise<KvResult> {
    const run = this.queue.then(() => this.attempt(method, key, body, suffix));
    this.queue = run.catch(() => {});
    return run;
  }

  private async attempt(method: string, key: string, body: unknown, suffix: string): Promise<KvResult> {
    const seq = ++this.seq;
    const path = `/kv/${encodeURIComponent(key)}${suffix}?client=${encodeURIComponent(this.clientId)}&seq=${seq}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const deadline = Date.now() + this.timeoutMs;
    let mayHaveApplied = false;
    let lastError = 'no attempt was made';
    let lastStatus = 0;
    let attempts = 0;
    let redirects = 0;
    while (Date.now() < deadline) {
      const url = this.leaderUrl ?? this.urls[this.next++ % this.urls.length]!;
      attempts += 1;
      const r = await request(this.agent, url + path, method, text, Math.min(this.attemptTimeoutMs, Math.max(1, deadline - Date.now())));
      if (r.kind === 'error') {
        lastError = `${url}: ${r.error}`;
        lastStatus = 0;
        if (r.sent) mayHaveApplied = true; // it may have reached a leader that applied it
        this.forgetLeader(url);
        await sleep(r.sent ? 20 : 50);
        continue;
      }
      const { status, json } = r;
      lastStatus = status;
      const error = typeof json.error === 'string' ? json.error : `HTTP ${status}`;
      if (status === 200 || status === 404 || status === 409) {
        this.leaderUrl = url;
        return { ok: true, status, body: json, node: String(json.node ?? url), attempts };
      }
      if (status === 421) {
        // The leader's name first, at OUR address for it: the URL a node gives is the one its peers use (in
        // Docker http://n3:7400, which the host cannot resolve). leaderUrl only for a name we do not know.
        const known = typeof json.leader === 'string' ? this.names.get(json.leader) : undefined;
        const hinted = known ?? (typeof json.leaderUrl === 'string' ? json.leaderUrl : undefined);
        lastError = error;
        // Follow the hint, but not forever: nodes can disagree for a moment during an election.
        if (hinted !== undefined && hinted !== url && redirects++ < 3) this.leaderUrl = hinted.replace(/\/+$/, '');
        else {
          this.leaderUrl = null;
          redirects = 0;
          await sleep(50);
        }
        continue;
      }
      if (status === 503) {
        lastError = error; // not applied (no leader, lost leadership, shutting down): try elsewhere shortly
        this.forgetLeader(url);
        await sleep(50);
        continue;
      }
      if (status === 504) {
        lastError = error; // maybe applied: retrying with the same seq finds out
        mayHaveApplied = true;
        this.forgetLeader(url);
        continue;
      }
      // 400, 405, 413, 500: the request itself is refused; retrying would not help.
      return { ok: false, outcome: 'failed', status, error, attempts };
    }
    return { ok: false, outcome: mayHaveApplied ? 'unknown' : 'failed', status: lastStatus, error: `gave up after ${attempts} attempts in ${this.timeoutMs} ms: ${lastError}`, attempts };
  }

  private forgetLeader(url: string): void {
    if (this.leaderUrl === url) this.leaderUrl = null;
    const i = this.urls.indexOf(url);
    if (i !== -1) this.next = i + 1; // the next attempt tries the member after this one
  }
}

/** A node's /status (or any GET), parsed. Throws if it does not answer in time. */
export async function fetchStatus(url: string, timeoutMs = 2_000): Promise<Record<string, unknown>> {
  const r = await request(sharedAgent, `${url.replace(/\/+$/, '')}/status`, 'GET', undefined, timeoutMs);
  if (r.kind === 'error') throw new Error(`${url}: ${r.error}`);
  return r.json;
}

/** Errors that prove the request never reached the server: no connection could be made. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

type Response = { kind: 'answer'; status: number; json: Record<string, unknown> } | { kind: 'error'; error: string; sent: boolean };

function request(agent: http.Agent, url: string, method: string, body: string | undefined, timeoutMs: number): Promise<Response> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    let req: http.ClientRequest;
    try {
      req = http.request(url, { method, headers, agent, timeout: timeoutMs });
    } catch (err) {
      return resolve({ kind: 'error', error: (err as Error).message, sent: false });
    }
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', error: err.code ?? err.message, sent: !NEVER_SENT.has(err.code ?? '') }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => resolve({ kind: 'error', error: err.message, sent: true }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
        } catch {
          json = { error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
        }
        resolve({ kind: 'answer', status: res.statusCode ?? 0, json });
      });
    });
    req.end(body);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
