// One store node as a process: the pure core (../core/node.ts) behind HTTP, made durable by a change log.
//
//   node --import tsx examples/store/node/server.ts      (configured by environment variables: config.ts, USAGE)
//
// Clients (JSON; every answer says which node answered, the key's group, its leader and term):
//   GET    /kv/<key>?consistency=strong|eventual        200 {key, values, context, ...} | 404 {error, key, context, ...}
//   PUT    /kv/<key>?consistency=...  {"value", "context"?}   200 {key, context, ...}
//   DELETE /kv/<key>?consistency=...  {"context"?}           200 {key, context, ...}
//   POST   /kv/<key>/cas              {"expected": "<string>"|null, "value"}   200, or 409 {error, values}
//   400 {error} bad input; 503 {error, reason, retryable: true} definitely not applied; 504 {error, outcome:
//   'unknown'} a strong write that may or may not have been applied.
// Peers:   POST /peer {from, messages}    (the core's PeerMessages, checked by ../core/requests.ts)
// Admin:   GET /status; POST /admin/block {peers}; POST /admin/heal {peers?}; POST /admin/members {members, peers?}
//
// How a node runs its core. Everything that happens is one `step` of the core: a timer tick (at the core's
// nextWakeup, at least every 50 ms), a client request, each message of a peer's batch, a membership change.
// Each step's effects are handled in the order the core demands: its changes are appended to the log and
// fsynced, and only then are its messages sent and its replies answered. Messages are collected per
// destination for the rest of the event-loop turn and sent as one POST /peer. A peer that does not answer
// simply misses them: the core was written for a network that loses messages.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { createNode, nextWakeup, status, step, type Saved } from '../core/node.ts';
import { NODE_NAME, parseClientRequest, parsePeerBatch, type ClientOp } from '../core/requests.ts';
import { preferenceList } from '../core/ring.ts';
import type { Input, NodeState, Outcome, PeerMessage, Reply, Version } from '../core/types.ts';
import { isHttpUrl, parseServerConfig, USAGE, type ServerConfig } from './config.ts';
import { CorruptDataError, openStorage, writeFileAtomic, type ChangeLog } from './storage.ts';

/** Body limits: a client body holds one value of at most 64 KiB (JSON-escaped, up to 6 bytes a character). */
export const MAX_CLIENT_BODY = 512 * 1024;
/** A peer batch can carry a whole group's data (a new leader's sync, anti-entropy). */
export const MAX_PEER_BODY = 64 * 1024 * 1024;
const MAX_ADMIN_BODY = 64 * 1024;
/** A request is forwarded at most this many times (the header counts the hops so far). */
export const MAX_HOPS = 2;
export const HOPS_HEADER = 'x-store-hops';
/** At most this many POST /peer in flight to one peer; later messages wait in its outbox, merged into one batch. */
const PEER_CONCURRENCY = 2;
/** Messages waiting for one peer beyond this are dropped, oldest first (a peer that is hung, not down). */
const MAX_OUTBOX = 50_000;
const MEMBERS_FILE = 'members.json';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The reasons a 503 gives beyond the core's own: the adapter could not get the request to the right node. */
export type AdapterReason = 'unreachable' | 'partitioned' | 'too-many-hops' | 'timeout' | 'shutting-down';

export class StoreServer {
  readonly server: http.Server;
  readonly blocked = new Set<string>();
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private readonly outbox = new Map<string, PeerMessage[]>();
  private readonly sending = new Map<string, number>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: PEER_CONCURRENCY + 2 });
  private flushScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 0;
  private stopping = false;
  readonly counters = { steps: 0, sent: 0, received: 0, dropped: 0 };

  constructor(
    readonly state: NodeState,
    readonly log: ChangeLog,
    readonly config: ServerConfig,
    readonly peers: Map<string, string>,
    private readonly onFatal: (err: Error) => void,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    // A request Node's HTTP parser cannot read (a broken header, a body without framing) gets JSON like every
    // other error, not Node's default empty 400.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({ error: `the HTTP request could not be parsed (${err.code ?? err.message})` });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  }

  get id(): string {
    return this.state.config.id;
  }

  /** Starts the clock: a tick at the core's next wake-up, and at least every 50 ms. */
  start(): void {
    const tick = () => {
      this.timer = null;
      if (this.stopping) return;
      this.run({ type: 'tick', now: Date.now() });
      const wait = Math.min(50, Math.max(1, nextWakeup(this.state) - Date.now()));
      this.timer = setTimeout(tick, wait);
    };
    tick();
  }

  // #region run
  /** One step of the core. Its changes go to disk first; its messages and replies leave only after the fsync. */
  run(input: Input): void {
    if (this.stopping) return;
    const fx = step(this.state, input);
    this.counters.steps += 1;
    const durable = this.log.append(fx.changes);
    // Compaction takes its snapshot now, between two steps, so it holds exactly what the log holds so far.
    if (this.log.wantsCompaction()) this.log.compact(savedOf(this.state)).catch((err: Error) => this.onFatal(err));
    durable.then(
      () => {
        for (const message of fx.messages) this.post(message);
        for (const reply of fx.replies) {
          const answer = this.waiting.get(reply.id);
          this.waiting.delete(reply.id);
          answer?.(reply);
        }
      },
      (err: Error) => this.onFatal(err),
    );
  }
  // #endregion run

  // #region peers
  private post(message: PeerMessage): void {
    if (this.blocked.has(message.to) || !this.peers.has(message.to) || message.to === this.id) return;
    const queue = this.outbox.get(message.to) ?? [];
    queue.push(message);
    if (queue.length > MAX_OUTBOX) this.counters.dropped += queue.splice(0, queue.length - MAX_OUTBOX).length;
    this.outbox.set(message.to, queue);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        for (const peer of [...this.outbox.keys()]) this.sendBatch(peer);
      });
    }
  }

  /** One POST /peer with everything waiting for `peer`, unless enough are in flight already. */
  private sendBatch(peer: string): void {
    const messages = this.outbox.get(peer);
    const url = this.peers.get(peer);
    if (!messages || messages.length === 0 || url === undefined || this.stopping) return;
    if ((this.sending.get(peer) ?? 0) >= PEER_CONCURRENCY) return; // sent when one of those finishes
    this.outbox.delete(peer);
    if (this.blocked.has(peer)) return;
    this.sending.set(peer, (this.sending.get(peer) ?? 0) + 1);
    this.counters.sent += messages.length;
    const body = JSON.stringify({ from: this.id, messages });
    const done = () => {
      this.sending.set(peer, (this.sending.get(peer) ?? 1) - 1);
      this.sendBatch(peer);
    };
    const req = http.request(`${url}/peer`, {
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: Math.max(1000, this.state.config.electionTimeoutMs),
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done();
    };
    req.on('response', (res) => {
      res.resume(); // the answer holds nothing we need; the peer's replies come as its own messages
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      this.counters.dropped += messages.length; // lost, as a network may lose them; the core copes
      finish();
    });
    req.end(body);
  }

  private async onPeer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const batch = parsePeerBatch(parseJson(await readBody(req, MAX_PEER_BODY)));
    if (!batch.ok) throw new HttpError(400, batch.error);
    if (this.blocked.has(batch.value.from)) return sendJson(res, 204); // a partition: it never arrived
    const now = Date.now();
    this.counters.received += batch.value.messages.length;
    for (const message of batch.value.messages) this.run({ type: 'message', now, message });
    sendJson(res, 204);
  }
  // #endregion peers

  // #region client
  private async onClient(req: http.IncomingMessage, res: http.ServerResponse, op: ClientOp, rawKey: string, url: URL): Promise<void> {
    const hops = parseHops(req.headers[HOPS_HEADER]);
    const body = await readBody(req, MAX_CLIENT_BODY);
    const id = `${this.id}-${++this.nextId}`;
    const parsed = parseClientRequest(id, { op, key: rawKey, query: [...url.searchParams], body });
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const request = parsed.value;
    const reply = await this.ask(request.id, request.op, { type: 'request', now: Date.now(), request });
    const meta = { key: request.key, node: this.id, group: reply.group, leader: reply.leader, term: reply.term };
    const outcome = reply.outcome;
    if (outcome.kind !== 'forward') return answer(res, outcome, meta);
    // Another node must take it. A replica of the key names its group's leader: only that one will do. A node
    // outside the key's group names the key's first replica; any replica will do (it forwards to its leader
    // in turn, or takes an eventual request itself), so the others are tried if that one does not answer.
    const member = this.state.groups[reply.group] !== undefined;
    const replicas = preferenceList(this.state.ring, request.key, this.state.config.replicas);
    const targets = member && request.consistency === 'strong' ? [outcome.to] : [outcome.to, ...replicas.filter((n) => n !== outcome.to && n !== this.id)];
    await this.forward(req, res, { hops, body, targets, write: request.op !== 'get', meta });
  }

  /** Runs a request through the core and waits for its reply (a safety net answers if the core never does). */
  private ask(id: string, op: ClientOp, input: Input): Promise<Reply> {
    return new Promise((resolve) => {
      const limit = this.state.config.requestTimeoutMs * 2 + 1000;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        const message = `${this.id} got no answer from its core within ${limit} ms`;
        const outcome: Outcome = op === 'get' ? { kind: 'unavailable', reason: 'busy', message } : { kind: 'unknown', message: `${message}; the write may or may not have been applied` };
        resolve({ id, outcome, group: '', leader: null, term: 0 });
      }, limit);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.run(input);
    });
  }

  /** Proxies the client's request to the first target that takes it, and relays its answer unchanged. */
  private async forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    f: { hops: number; body: string; targets: string[]; write: boolean; meta: Record<string, unknown> },
  ): Promise<void> {
    const refuse = (reason: AdapterReason, message: string) => sendJson(res, 503, { error: message, reason, retryable: true, ...f.meta });
    const [first] = f.targets;
    if (f.hops >= MAX_HOPS) return refuse('too-many-hops', `${this.id} would forward this request to ${first}, but it has been forwarded ${f.hops} times already (${HOPS_HEADER}); nodes disagree about the membership or the leader, retry in a moment`);
    const reasons: string[] = [];
    for (const target of f.targets) {
      const url = this.peers.get(target);
      if (this.blocked.has(target)) {
        reasons.push(`${target} is cut off from ${this.id} (a partition, POST /admin/block)`);
        continue;
      }
      if (url === undefined) {
        reasons.push(`${this.id} has no address for ${target}`);
        continue;
      }
      const result = await proxy(`${url}${req.url}`, req.method ?? 'GET', f.body, f.hops + 1, this.state.config.requestTimeoutMs * 2 + 1500);
      if (result.kind === 'answer') {
        res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(result.text) });
        return void res.end(result.text);
      }
      if (result.kind === 'sent' && f.write) {
        return sendJson(res, 504, { error: `${this.id} forwarded the write to ${target}, which did not answer (${result.error}); it may or may not have been applied`, outcome: 'unknown', ...f.meta });
      }
      reasons.push(`${target} did not answer (${result.error})`);
    }
    const partitioned = f.targets.every((t) => this.blocked.has(t));
    const role = f.targets.length === 1 ? `the leader of group ${String(f.meta.group)}` : `the replicas of ${JSON.stringify(f.meta.key)}`;
    refuse(partitioned ? 'partitioned' : 'unreachable', `${this.id} cannot reach ${f.targets.join(', ')}, ${role}: ${reasons.join('; ')}; nothing was changed`);
  }
  // #endregion client

  // #region admin
  statusBody(): Record<string, unknown> {
    return {
      ...status(this.state),
      blocked: [...this.blocked].sort(),
      peers: Object.fromEntries(this.peers),
      log: this.log.counters,
      messages: this.counters,
    };
  }

  private async onBlock(req: http.IncomingMessage, res: http.ServerResponse, block: boolean): Promise<void> {
    const body = parseJson(await readBody(req, MAX_ADMIN_BODY), !block);
    const fields = objectWith(body, ['peers']);
    const names = fields.peers === undefined && !block ? [...this.blocked] : nodeNames(fields.peers, 'peers');
    for (const name of names) {
      if (block) this.blocked.add(name);
      else this.blocked.delete(name);
      this.outbox.delete(name);
    }
    sendJson(res, 200, { node: this.id, blocked: [...this.blocked].sort() });
  }

  private async onMembers(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fields = objectWith(parseJson(await readBody(req, MAX_ADMIN_BODY)), ['members', 'peers']);
    const members = nodeNames(fields.members, 'members');
    if (members.length === 0) throw new HttpError(400, 'field "members" must name at least one node');
    const urls = fields.peers === undefined ? {} : fields.peers;
    if (typeof urls !== 'object' || urls === null || Array.isArray(urls)) throw new HttpError(400, 'field "peers" must be an object of node name -> URL, e.g. {"n6": "http://127.0.0.1:7106"}');
    for (const [name, url] of Object.entries(urls)) {
      if (!NODE_NAME.test(name)) throw new HttpError(400, `field "peers" names "${name.slice(0, 40)}", which is not a node name`);
      if (typeof url !== 'string' || !isHttpUrl(url.replace(/\/+$/, ''))) throw new HttpError(400, `field "peers": ${name} needs an http:// URL, got ${JSON.stringify(url).slice(0, 60)}`);
    }
    const known = new Map([...this.peers, ...Object.entries(urls as Record<string, string>).map(([n, u]): [string, string] => [n, u.replace(/\/+$/, '')])]);
    const missing = members.filter((m) => !known.has(m));
    if (missing.length > 0) throw new HttpError(400, `no URL for ${missing.join(', ')}; add "peers": {"${missing[0]}": "http://host:port"}`);
    // Remembered on disk before it takes effect: a node that restarts must not come back with the old ring.
    await writeFileAtomic(path.join(this.config.dataDir, MEMBERS_FILE), JSON.stringify({ members, peers: Object.fromEntries(known) }, null, 2) + '\n');
    for (const [name, url] of known) this.peers.set(name, url);
    this.run({ type: 'members', now: Date.now(), members });
    sendJson(res, 200, this.statusBody());
  }
  // #endregion admin

  // #region dispatch
  /** Finds the route. Never crashes on input: a 4xx we meant, or a 500 printed for us to fix. */
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      if (this.stopping) throw new HttpError(503, `${this.id} is shutting down; retry on another node`, { reason: 'shutting-down', retryable: true });
      const url = parseUrl(req.url);
      const method = req.method ?? 'GET';
      const route = (methods: string[]) => {
        if (methods.includes(method)) return true;
        res.setHeader('allow', methods.join(', '));
        throw new HttpError(405, `${method} is not allowed on ${url.pathname.slice(0, 100)}; use ${methods.join(' or ')}`);
      };
      const p = url.pathname;
      let m: RegExpExecArray | null;
      if ((m = /^\/kv\/([^/]+)$/.exec(p)) && route(['GET', 'PUT', 'DELETE'])) {
        return await this.onClient(req, res, method === 'GET' ? 'get' : method === 'PUT' ? 'put' : 'delete', m[1]!, url);
      }
      if ((m = /^\/kv\/([^/]+)\/cas$/.exec(p)) && route(['POST'])) return await this.onClient(req, res, 'cas', m[1]!, url);
      if (p === '/status' && route(['GET'])) return sendJson(res, 200, this.statusBody());
      if (p === '/peer' && route(['POST'])) return await this.onPeer(req, res);
      if (p === '/admin/block' && route(['POST'])) return await this.onBlock(req, res, true);
      if (p === '/admin/heal' && route(['POST'])) return await this.onBlock(req, res, false);
      if (p === '/admin/members' && route(['POST'])) return await this.onMembers(req, res);
      if (p === '/kv/' || p === '/kv') throw new HttpError(404, 'no key in the path: use /kv/<key> (percent-encode it)');
      throw new HttpError(404, `no route ${method} ${p.slice(0, 100)}; see /kv/<key>, /kv/<key>/cas, /status, /peer, /admin/block, /admin/heal, /admin/members`);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('connection', 'close'); // stop the rest of the body
        return sendJson(res, err.status, { error: err.message, ...err.extra });
      }
      console.error('internal error:', err);
      sendJson(res, 500, { error: `${this.id} hit an unexpected error; it has been logged` });
    }
  }
  // #endregion dispatch

  /** Stops the clock and the server, and waits until the log is on disk. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.server.close();
    this.server.closeIdleConnections();
    await this.log.close();
    this.agent.destroy();
  }
}

/** What the node has on disk right now, for a snapshot (copied by the caller's JSON.stringify at once). */
function savedOf(state: NodeState): Saved {
  return { terms: state.terms, store: state.store, strong: state.strong, pending: state.pending };
}

// #region outcome
/** The core's answer as HTTP. */
function answer(res: http.ServerResponse, outcome: Exclude<Outcome, { kind: 'forward' }>, meta: Record<string, unknown> & { key: string }): void {
  switch (outcome.kind) {
    case 'value':
      return sendJson(res, 200, { ...meta, values: outcome.values, context: outcome.context, ...versionOf(outcome) });
    case 'not-found':
      return sendJson(res, 404, { error: `no value for key ${JSON.stringify(meta.key)}`, ...meta, context: outcome.context, ...versionOf(outcome) });
    case 'written':
      return sendJson(res, 200, { ...meta, context: outcome.context, ...versionOf(outcome) });
    case 'cas-mismatch':
      return sendJson(res, 409, { error: 'the current value is not the expected one; nothing was changed', values: outcome.values, ...meta });
    case 'unavailable':
      return sendJson(res, 503, { error: outcome.message, reason: outcome.reason, retryable: true, ...meta });
    case 'unknown':
      return sendJson(res, 504, { error: outcome.message, outcome: 'unknown', ...meta });
  }
}
/** Strong answers carry the version (term, seq) the leader gave the value; eventual ones only the context. */
function versionOf(outcome: { version?: Version }): { version?: Version } {
  return outcome.version === undefined ? {} : { version: outcome.version };
}
// #endregion outcome

type ProxyResult = { kind: 'answer'; status: number; text: string } | { kind: 'refused'; error: string } | { kind: 'sent'; error: string };

/**
 * Sends the request on. 'refused': it never reached the target (no connection), so it was not applied.
 * 'sent': it may have reached the target, which did not answer: for a write, the outcome is unknown.
 */
/**
 * Errors that prove the request never reached the target: no connection could be made. Anything else (a reset,
 * a timeout, a socket closed mid-way) may come after the target read the request, and a kept-alive socket
 * that was reused never fires 'connect' at all: so every other error counts as 'sent'. (Counting a reset as
 * "never arrived" once answered 503 "nothing was changed" for a write a leader had applied just before it was
 * killed; npm run chaos:store -- --seed 7 found it.)
 */
const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Whether a failed forward may have reached its target ('sent') or surely did not ('refused'). */
export function proxyFailure(connected: boolean, code: string | undefined): 'sent' | 'refused' {
  return !connected && code !== undefined && NEVER_ARRIVED.has(code) ? 'refused' : 'sent';
}

function proxy(url: string, method: string, body: string, hops: number, timeoutMs: number): Promise<ProxyResult> {
  return new Promise((resolve) => {
    let connected = false;
    const headers: Record<string, string | number> = { [HOPS_HEADER]: String(hops) };
    if (body !== '') Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const req = http.request(url, { method, headers, timeout: timeoutMs });
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      resolve({ kind: proxyFailure(connected, code), error: code ?? err.message });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ kind: 'answer', status: res.statusCode ?? 502, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ kind: 'sent', error: err.message }));
    });
    req.end(body === '' ? undefined : body);
  });
}

// #region http-helpers
function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `the request body is over the ${limit}-byte limit for this route`);
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON for admin and peer routes (the client routes parse theirs in requests.ts). */
function parseJson(text: string, emptyIsObject = false): unknown {
  if (text.trim() === '') {
    if (emptyIsObject) return {};
    throw new HttpError(400, 'the request body is empty; expected a JSON object');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON (${(err as Error).message})`);
  }
}

function objectWith(body: unknown, fields: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  const extra = Object.keys(body).find((k) => !fields.includes(k));
  if (extra !== undefined) throw new HttpError(400, `unknown field ${JSON.stringify(extra.slice(0, 40))}; this route takes ${fields.map((f) => `"${f}"`).join(' and ')}`);
  return body as Record<string, unknown>;
}

function nodeNames(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length > 64) throw new HttpError(400, `field "${field}" must be an array of node names, e.g. ["n4", "n5"]`);
  const bad = value.find((v) => typeof v !== 'string' || !NODE_NAME.test(v));
  if (bad !== undefined) throw new HttpError(400, `field "${field}" holds ${JSON.stringify(bad)?.slice(0, 40)}, which is not a node name ([a-z0-9-], 1 to 32 characters)`);
  return [...new Set(value as string[])];
}

function parseHops(value: string | string[] | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^\d{1,3}$/.test(value)) throw new HttpError(400, `header ${HOPS_HEADER} must be a small whole number, got ${JSON.stringify(value).slice(0, 40)}`);
  return Number(value);
}

function parseUrl(target = '/'): URL {
  try {
    return new URL(`http://store${target.startsWith('/') ? '' : '/'}${target}`);
  } catch {
    throw new HttpError(400, `cannot parse the request path ${JSON.stringify(target.slice(0, 100))}`);
  }
}

function sendJson(res: http.ServerResponse, code: number, body?: unknown): void {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) return void res.writeHead(code).end();
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
// #endregion http-helpers

// #region main
/** The membership: STORE_PEERS, unless POST /admin/members changed it since (remembered in the data dir). */
function loadMembers(config: ServerConfig, print: (line: string) => void): { members: string[]; peers: Map<string, string> } {
  const peers = new Map(Object.entries(config.peers));
  const file = path.join(config.dataDir, MEMBERS_FILE);
  if (!fs.existsSync(file)) return { members: [...peers.keys()], peers };
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { members: string[]; peers: Record<string, string> };
    for (const [name, url] of Object.entries(saved.peers)) if (!peers.has(name)) peers.set(name, url);
    print(`membership from ${file} (set by POST /admin/members): ${saved.members.join(', ')}`);
    return { members: saved.members, peers };
  } catch (err) {
    throw new CorruptDataError(`${file} is unreadable (${(err as Error).message}); fix or delete it (then STORE_PEERS is used)`);
  }
}

async function main(): Promise<void> {
  const print = (line: string) => console.log(line);
  const parsed = parseServerConfig(process.env);
  if (!parsed.ok) {
    console.error(`store node: ${parsed.error}\n\n${USAGE}`);
    process.exit(2);
  }
  const config = parsed.config;
  const { id } = config.core;
  fs.mkdirSync(config.dataDir, { recursive: true });
  let lock: DataDirLock;
  try {
    lock = await lockDataDir(config.dataDir, { role: `store node`, print }); // before we read a byte of the log
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    console.error(`${id}: another store node (pid ${err.owner.pid}) is using ${config.dataDir}; stop it or set STORE_DATA_DIR to another directory`);
    process.exit(1);
  }
  const { members, peers } = loadMembers(config, print);
  const { saved, log, summary } = await openStorage(config.dataDir, { compactBytes: config.compactBytes, warn: print });
  print(`${id}: ${summary}`);
  const state = createNode(config.core, members, saved, Date.now());
  const node = new StoreServer(state, log, config, peers, (err) => {
    console.error(`${id}: fatal: cannot write the log (${err.message}); stopping so nothing unlogged is acknowledged`);
    process.exit(1);
  });
  node.server.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is already in use (another node? an earlier run? the Docker setup?)' : err.message;
    console.error(`${id} cannot listen on ${config.host}:${config.port}: ${why}; stop that program or set STORE_PORT to another port`);
    process.exit(1); // the exit hook releases the lock
  });
  node.server.listen(config.port, config.host, () => {
    const address = node.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const { heartbeatMs, electionTimeoutMs } = config.core;
    print(`store node ${id} listening on http://${config.host}:${port} (members ${state.members.join(', ')}; heartbeat ${heartbeatMs} ms, election timeout ${electionTimeoutMs} ms; data in ${config.dataDir})`);
    node.start();
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    print(`${id}: ${signal}: shutting down (this run logged ${log.counters.changes} changes with ${log.counters.fsyncs} fsyncs)`);
    setTimeout(() => process.exit(0), 5_000).unref(); // a stuck client must not keep us alive forever
    await node.stop();
    node.server.closeAllConnections();
    lock.release();
    print(`${id}: log flushed; bye`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Started by the runner (run.ts) or chaos.ts with an IPC channel: when that parent dies, even by kill -9,
  // the channel closes and we shut down too, log flushed, rather than hold the ports for nobody. Our output
  // went to the parent, so writes may now fail (EPIPE): they must not crash us before the log is closed.
  if (process.send !== undefined) {
    process.on('disconnect', () => {
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      void shutdown('the process that started this node is gone');
    });
  }
}
// #endregion main

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    if (err instanceof CorruptDataError) console.error(`store node cannot start: ${err.message}`);
    else console.error('store node failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
