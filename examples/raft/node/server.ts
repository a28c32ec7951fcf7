// One Raft node as a process: the pure core's service (../core/service.ts: Raft + the KV state machine)
// behind HTTP, made durable by storage.ts.
//
//   RAFT_ID=n1 PORT=7401 RAFT_PEERS=n1=http://127.0.0.1:7401,... node --import tsx examples/raft/node/server.ts
//   (configured by environment variables only: config.ts, USAGE; --help prints it)
//
// #region api
// HTTP API. Every body is JSON; every answer is JSON with `error` (a sentence a person can act on) on failure.
// Client answers name the node that gave them (`node`); /status, /health and admin answers have `id`.
//
// Clients (reads go through the log like writes: a get is a command, so it sees every write before it).
//   Optional on every /kv request: ?client=<id>&seq=<n> (both or neither) makes it exactly-once: a request
//   retried with the same client and seq (to any node) is applied once and answered with the first result
//   (for a retry of the client's latest request; see below).
//   client: 1-64 of [A-Za-z0-9._-]; seq: a positive safe integer, one request at a time per client, growing.
//   GET    /kv/<key>                                   200 {key, value, index, node}
//                                                      404 {error, key, index, node}       the key is absent
//   PUT    /kv/<key>        {"value": "<string>"}      200 {key, value, index, node}
//   DELETE /kv/<key>                                   200 {key, previous, index, node}    previous: null if absent
//   POST   /kv/<key>/cas    {"expected": "<string>"|null, "value": "<string>"}
//                                                      200 {key, swapped: true, previous, index, node}
//                                                      409 {error, key, swapped: false, value, index, node}
//                                                          (value: what the key holds; nothing was changed)
//   <key> is percent-encoded in the path: 1-200 characters, no control characters. A value is a string of at
//   most 64 KiB (UTF-8). `index` is the log index at which the request was applied. GET and DELETE take no
//   body (empty or {}); PUT and cas bodies take exactly the fields shown; the only query parameters are
//   client and seq. A retried seq is answered with the result its client's LATEST applied request got (the
//   KV keeps one result per client), so a client sends one request at a time and numbers them 1, 2, 3, ...
//   Failures, for every /kv route:
//   400 {error}                              bad input: key, value, JSON, field types, unknown fields or query
//                                            parameters, client/seq (an unparsable HTTP request also gets 400)
//   413 {error}                              the body is over 512 KiB (peer batches: 64 MiB; admin: 64 KiB)
//   421 {error, leader, leaderUrl}           this node is not the leader; send it to leaderUrl (not applied)
//   503 {error, leader: null, retryable: true}  no leader known right now (an election): retry (not applied)
//   503 {error, retryable: true}             the entry was overwritten by another leader's: NOT applied, retry
//   504 {error, outcome: "unknown"}          no answer within 5 s of proposing: it may or may not be applied;
//                                            retry with the same client+seq to find out safely
//   503 {error, retryable: true}             the node is shutting down (not applied); requests it had already
//                                            proposed get 504 {error, outcome: "unknown"}
// Status and admin (the runner, the chaos command, tests):
//   GET  /status          200 {id, role, term, leaderId, leaderUrl, votedFor, commitIndex, lastApplied,
//                              lastIndex, snapshotIndex, members, blocked, stats}
//                              role: follower|candidate|leader; leaderId/leaderUrl: null when none is known;
//                              members: {name: url} (every member, this node included); blocked: node names;
//                              stats: {storage: {batches, records, fsyncs, snapshots}, messages: {flushes,
//                              sent, received, dropped, peerErrors}, waiting, queued} (counters since this
//                              start; waiting: proposed requests not yet answered; queued: not yet proposed)
//   GET  /health          200 {ok: true, id}
//   POST /admin/block {"peers": ["n2", ...]}   200 {id, blocked}: drop all Raft traffic to and from them
//   POST /admin/heal  [{"peers": [...]}]       200 {id, blocked}: heal those, or every peer if no body
// Peers:
//   POST /raft/messages {"from": "n2", "messages": [Message, ...]}   204; 400 {error} if anything in it is
//        malformed (nothing of the batch is stepped). Messages are the core's (types.ts); see validate.ts.
// Any other path: 404; a known path with another method: 405 with an Allow header.
// #endregion api
//
// How the node runs its core. Ticks (every 10 ms) and peer messages change the core at once (tick/step);
// client requests wait in a queue. Once per event-loop turn a flush round runs (flush, below) in two parts,
// each an advance() followed by the core's duties in this order: (1) persist term, vote, snapshot and log
// change, one write and ONE fsync for everything in that part (group commit); (2) only then send its
// messages, batched per peer; (3) only then answer the clients whose entries were applied. Part one takes
// what the ticks and messages produced (commits: their clients are answered; votes; a follower's entries);
// part two proposes every queued request and persists their entries before the AppendEntries carrying them
// leave. Whatever arrives during an fsync waits for the next round and shares ITS fsync: under load, batches
// grow by themselves (etcd does the same).
// One exception, safe and worth a fsync cycle per write under load: when followers' acknowledgements commit
// entries while a leader's fsync is in flight, those clients are answered at once (answerEarly); the
// messages that round produced are held until the fsync is done.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { configFromEnv } from '../../shared/env-config.ts';
import type { KvCommand } from '../core/kv.ts';
import { status, step, tick } from '../core/raft.ts';
import { advance, createService, submit, type Reply, type Service } from '../core/service.ts';
import type { Config, Message, Persisted } from '../core/types.ts';
import { NODE_NAME, parseRaftConfig, USAGE, type RaftServerConfig } from './config.ts';
import { CorruptDataError, RaftStorage } from './storage.ts';
import { clientProblem, commandProblem, keyProblem, parseMessageBatch, valueProblem } from './validate.ts';

/** Real time: a tick every 10 ms; election timeout 15-30 ticks (150-300 ms); heartbeat every 5 (50 ms). */
export const TICK_MS = 10;
export const ELECTION_TICKS: [number, number] = [15, 30];
export const HEARTBEAT_TICKS = 5;
export const MAX_ENTRIES_PER_MESSAGE = 256;
/** A client's answer must come within this long after its entry was proposed, or it gets 504 (unknown). */
export const ANSWER_TIMEOUT_MS = 5_000;
/** A client body holds one value of at most 64 KiB (JSON-escaped, up to 6 bytes a character) and a bit more. */
export const MAX_CLIENT_BODY = 512 * 1024;
/** A peer batch may carry an InstallSnapshot with the whole KV state. */
export const MAX_PEER_BODY = 64 * 1024 * 1024;
const MAX_ADMIN_BODY = 64 * 1024;
/** Messages waiting for one peer beyond this are dropped, oldest first: Raft resends what matters. */
const MAX_OUTBOX = 4_096;
/** A POST to a peer that takes longer than this is given up (its messages are lost, as a network loses them). */
const PEER_TIMEOUT_MS = 1_000;
/** After a failed POST, messages to that peer are dropped without trying for this long (it is down). */
const PEER_BACKOFF_MS = 100;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface Waiting {
  op: KvCommand['op'];
  key: string;
  resolve: (status: number, body: Record<string, unknown>) => void;
  timer: NodeJS.Timeout;
}

/** A client request waiting for the next flush round to be proposed (see flush). */
interface Proposal {
  requestId: string;
  command: KvCommand;
  resolve: (status: number, body: Record<string, unknown>) => void;
}

interface PeerLink {
  url: string;
  outbox: Message[];
  inFlight: boolean;
  downUntil: number;
}

export class RaftServer {
  readonly http: http.Server;
  readonly blocked = new Set<string>();
  readonly counters = { flushes: 0, sent: 0, received: 0, dropped: 0, peerErrors: 0 };
  private readonly waiting = new Map<string, Waiting>();
  private proposals: Proposal[] = [];
  private readonly links = new Map<string, PeerLink>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private scheduled = false;
  private flushing = false;
  /** A persist is in flight (see answerEarly). */
  private persisting = false;
  /** Messages of an advance() made while a persist was in flight: they leave right after it (answerEarly). */
  private held: Message[] = [];
  private stopping = false;
  private nextRequest = 0;

  constructor(
    readonly service: Service,
    readonly storage: RaftStorage,
    readonly config: RaftServerConfig,
    private readonly onFatal: (err: Error) => void,
  ) {
    for (const [name, url] of Object.entries(config.peers)) {
      if (name !== config.id) this.links.set(name, { url, outbox: [], inFlight: false, downUntil: 0 });
    }
    this.http = http.createServer((req, res) => void this.handle(req, res));
    this.http.keepAliveTimeout = 30_000;
    // A request Node's HTTP parser cannot read gets JSON like every other error, not Node's empty 400.
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({ error: `the HTTP request could not be parsed (${err.code ?? err.message})` });
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  }

  get id(): string {
    return this.config.id;
  }

  start(): void {
    this.timer = setInterval(() => {
      tick(this.service.raft);
      this.kick();
    }, TICK_MS);
  }

  // #region flush
  /** Something changed the core: run the flush loop once this event-loop turn's other inputs are in. */
  private kick(): void {
    this.dirty = true;
    if (this.scheduled || this.flushing || this.stopping) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  /**
   * One flush round per event-loop turn: whatever arrived while the previous fsync was in flight (peer
   * messages, ticks: stepped into the core as they came; client requests: queued) is handled together, with
   * one advance() and ONE fsync per part. The next round is a setImmediate later, after this turn's other I/O.
   *
   * Two parts, each doing the core's duties in order (persist, then send, then answer):
   *   1. what the messages and ticks produced: commits (clients whose entries were applied are answered),
   *      votes, heartbeats, a follower's new entries. On a leader this part rarely has anything to persist,
   *      so its clients are answered without waiting for an fsync of entries that came in later;
   *   2. the queued client requests, proposed now: their entries are persisted (one fsync for all of them)
   *      and only then sent to the followers.
   */
  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing || this.stopping) return;
    this.flushing = true;
    try {
      this.dirty = false;
      await this.round();
      if (this.proposals.length > 0 && !this.stopping) {
        this.propose(this.proposals.splice(0));
        await this.round();
      }
    } catch (err) {
      return this.onFatal(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.flushing = false;
    }
    if (this.dirty || this.proposals.length > 0) this.kick(); // more came in meanwhile: the next round
  }

  /** advance(), then: 1 persist (fsync), 2 send, 3 answer. Nothing of a ready leaves before its fsync. */
  private async round(): Promise<void> {
    const { ready, replies } = advance(this.service);
    this.counters.flushes += 1;
    // 1. Durable first: term, vote, snapshot and log of this ready are fsynced before anything leaves.
    //    A vote sent before its fsync could be given twice after a crash; an entry acknowledged before
    //    its fsync could be counted towards a majority and then be missing (§5.4).
    this.persisting = true;
    try {
      await this.storage.persist(ready);
    } finally {
      this.persisting = false;
    }
    // 2. Only now the messages (one POST per peer, with everything for it), then those answerEarly held.
    for (const message of ready.messages) this.post(message);
    for (const message of this.held.splice(0)) this.post(message);
    this.sendAll();
    // 3. Only now the clients: their entries are committed and applied (advance applied them).
    for (const reply of replies) this.answer(reply);
  }

  /**
   * Followers acknowledged entries while this leader's fsync is in flight: answer those clients now instead
   * of after that fsync, so that their next requests catch the very next batch (under load, one fsync cycle
   * less per request: bigger batches). Only when the core has nothing new for the disk (no term, vote,
   * snapshot or log change), so this ready needs no persist of its own; and a follower only ever received
   * entries this leader had already fsynced, so an entry a majority acknowledged is on this node's disk
   * too. The ready's messages may carry entries of the persist in flight: they are held, and leave right
   * after it (round), behind that persist's own messages.
   */
  private answerEarly(): void {
    const raft = this.service.raft;
    if (raft.role !== 'leader' || raft.config.members.length < 2) return;
    if (raft.out.hardState !== null || raft.out.snapshot !== null || raft.logDirtyFrom !== 0) return;
    const { ready, replies } = advance(this.service);
    this.counters.flushes += 1;
    this.held.push(...ready.messages);
    for (const reply of replies) this.answer(reply);
  }

  /** The queued client requests go into the log (the leader) or are sent elsewhere (421/503: not applied). */
  private propose(queued: Proposal[]): void {
    for (const q of queued) {
      const submitted = submit(this.service, q.requestId, q.command);
      if (!submitted.ok) {
        const refused = refusal(this.id, submitted.leaderId, this.config.peers);
        q.resolve(refused.status, { error: refused.message, ...refused.extra });
        continue;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(q.requestId);
        q.resolve(504, { error: `${this.id} proposed it at index ${submitted.index} but it was not committed within ${ANSWER_TIMEOUT_MS / 1000} s (lost leadership, or no majority reachable); it may or may not be applied: retry with the same client and seq to find out`, outcome: 'unknown', node: this.id });
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(q.requestId, { op: q.command.op, key: q.command.key, timer, resolve: q.resolve });
    }
  }
  // #endregion flush

  // #region peers
  private post(message: Message): void {
    const link = this.links.get(message.to);
    if (link === undefined || this.blocked.has(message.to)) return;
    if (Date.now() < link.downUntil) {
      this.counters.dropped += 1; // it is down: a message now would only wait for a refused connection
      return;
    }
    // A newer snapshot for the same peer replaces one still waiting: the leader resends it on every heartbeat
    // until the follower answers, and a batch of identical snapshots would only make the POST slower.
    if (message.type === 'InstallSnapshot') link.outbox = link.outbox.filter((m) => m.type !== 'InstallSnapshot');
    link.outbox.push(message);
    if (link.outbox.length > MAX_OUTBOX) this.counters.dropped += link.outbox.splice(0, link.outbox.length - MAX_OUTBOX).length;
  }

  private sendAll(): void {
    for (const peer of this.links.keys()) this.sendBatch(peer);
  }

  /**
   * One POST /raft/messages with everything waiting for `peer`. At most one in flight per peer, so messages
   * arrive in the order they were sent; what comes meanwhile waits and goes in the next batch. A peer that
   * fails or times out only loses its own messages (Raft resends), and never holds up the other peers.
   */
  private sendBatch(peer: string): void {
    const link = this.links.get(peer)!;
    if (link.inFlight || link.outbox.length === 0 || this.stopping) return;
    const messages = link.outbox;
    link.outbox = [];
    if (this.blocked.has(peer)) return;
    link.inFlight = true;
    this.counters.sent += messages.length;
    const body = JSON.stringify({ from: this.id, messages });
    let finished = false;
    const finish = (failed: boolean) => {
      if (finished) return;
      finished = true;
      link.inFlight = false;
      if (failed) {
        this.counters.peerErrors += 1;
        this.counters.dropped += messages.length;
        link.downUntil = Date.now() + PEER_BACKOFF_MS;
        link.outbox = [];
      }
      this.sendBatch(peer);
    };
    const req = http.request(`${link.url}/raft/messages`, {
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: PEER_TIMEOUT_MS + Math.floor(body.length / 1_000), // + 1 s per MB: a big snapshot takes longer
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode !== 204));
      res.on('error', () => finish(true));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => finish(true));
    req.end(body);
  }

  private async onMessages(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const batch = parseMessageBatch(parseJson(await readBody(req, MAX_PEER_BODY)), this.service.raft.config.members, this.id);
    if (!batch.ok) throw new HttpError(400, `bad peer message batch, nothing was stepped: ${batch.error}`);
    if (this.blocked.has(batch.value.from) || this.stopping) return sendJson(res, 204); // a partition: it never arrived
    this.counters.received += batch.value.messages.length;
    for (const message of batch.value.messages) step(this.service.raft, message);
    if (this.persisting) this.answerEarly();
    this.kick();
    sendJson(res, 204);
  }
  // #endregion peers

  // #region client
  private async onClient(req: http.IncomingMessage, res: http.ServerResponse, op: KvCommand['op'], rawKey: string, url: URL): Promise<void> {
    const body = await readBody(req, MAX_CLIENT_BODY);
    let key: string;
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      throw new HttpError(400, `the key ${JSON.stringify(rawKey.slice(0, 60))} is not valid percent-encoding (encode it with encodeURIComponent)`);
    }
    const keyError = keyProblem(key);
    if (keyError !== null) throw new HttpError(400, keyError);
    const command = { op, key, ...parseBodyFields(op, body), ...parseIdentity(url) } as KvCommand;
    const problem = commandProblem(command);
    if (problem !== null) throw new HttpError(400, problem); // a last check: nothing malformed enters the log
    if (this.stopping) throw new HttpError(503, `${this.id} is shutting down; retry on another node`, { retryable: true });

    const requestId = String(++this.nextRequest);
    if (this.service.raft.role !== 'leader') {
      // Not the leader: say so at once (submit changes nothing on a follower or candidate).
      const submitted = submit(this.service, requestId, command);
      if (!submitted.ok) {
        const refused = refusal(this.id, submitted.leaderId, this.config.peers);
        throw new HttpError(refused.status, refused.message, refused.extra);
      }
    }
    // The leader proposes it in the next flush round, together with every request of this turn.
    const { status: code, body: answer } = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve) => {
      this.proposals.push({ requestId, command, resolve: (s, b) => resolve({ status: s, body: b }) });
      this.kick();
    });
    sendJson(res, code, answer);
  }

  /** A reply of the service: the entry was applied (an answer), or overwritten by another leader's (503). */
  private answer(reply: Reply): void {
    const w = this.waiting.get(reply.requestId);
    if (w === undefined) return; // the client got its 504 already
    this.waiting.delete(reply.requestId);
    clearTimeout(w.timer);
    const node = this.id;
    if (!reply.ok) return w.resolve(503, { error: `${node} lost its leadership before the entry was committed; it was NOT applied, retry`, retryable: true, node });
    const { key } = w;
    const { index, result } = reply;
    switch (w.op) {
      case 'get':
        if (result.value === null) return w.resolve(404, { error: `no value for key ${JSON.stringify(key)}`, key, index, node });
        return w.resolve(200, { key, value: result.value, index, node });
      case 'put':
        return w.resolve(200, { key, value: result.value, index, node });
      case 'delete':
        return w.resolve(200, { key, previous: result.value, index, node });
      case 'cas':
        if (result.ok) return w.resolve(200, { key, swapped: true, previous: result.value, index, node });
        return w.resolve(409, { error: `the key holds ${JSON.stringify(result.value)}, not the expected value; nothing was changed`, key, swapped: false, value: result.value, index, node });
    }
  }
  // #endregion client

  // #region admin
  statusBody(): Record<string, unknown> {
    const s = status(this.service.raft);
    return {
      ...s,
      leaderUrl: s.leaderId === null ? null : (this.config.peers[s.leaderId] ?? null),
      members: this.config.peers,
      blocked: [...this.blocked].sort(),
      stats: { storage: this.storage.counters, messages: this.counters, waiting: this.waiting.size, queued: this.proposals.length },
    };
  }

  private async onBlock(req: http.IncomingMessage, res: http.ServerResponse, block: boolean): Promise<void> {
    const text = await readBody(req, MAX_ADMIN_BODY);
    const body = text.trim() === '' && !block ? {} : parseJson(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object {"peers": ["n2", ...]}');
    const { peers, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new HttpError(400, `unknown field ${JSON.stringify(Object.keys(rest)[0]!.slice(0, 40))}; this route takes "peers"`);
    let names: string[];
    if (peers === undefined && !block) names = [...this.blocked];
    else {
      if (!Array.isArray(peers) || peers.length > 64) throw new HttpError(400, 'field "peers" must be an array of node names, e.g. ["n2", "n3"]');
      const bad = peers.find((p) => typeof p !== 'string' || !NODE_NAME.test(p));
      if (bad !== undefined) throw new HttpError(400, `field "peers" holds ${JSON.stringify(bad)?.slice(0, 40)}, which is not a node name`);
      names = peers as string[];
    }
    for (const name of names) {
      if (block) this.blocked.add(name);
      else this.blocked.delete(name);
      const link = this.links.get(name);
      if (link !== undefined) link.outbox = [];
    }
    sendJson(res, 200, { id: this.id, blocked: [...this.blocked].sort() });
  }
  // #endregion admin

  // #region dispatch
  /** Finds the route. Never crashes on input: a 4xx we meant, or a 500 printed for us to fix. */
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
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
      if (p === '/raft/messages' && route(['POST'])) return await this.onMessages(req, res);
      if (p === '/status' && route(['GET'])) return sendJson(res, 200, this.statusBody());
      if (p === '/health' && route(['GET'])) return sendJson(res, 200, { ok: true, id: this.id });
      if (p === '/admin/block' && route(['POST'])) return await this.onBlock(req, res, true);
      if (p === '/admin/heal' && route(['POST'])) return await this.onBlock(req, res, false);
      if (p === '/kv/' || p === '/kv') throw new HttpError(404, 'no key in the path: use /kv/<key> (percent-encode it)');
      throw new HttpError(404, `no route ${method} ${p.slice(0, 100)}; see /kv/<key>, /kv/<key>/cas, /status, /health, /raft/messages, /admin/block, /admin/heal`);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('connection', 'close'); // do not read the rest of the body
        return sendJson(res, err.status, { error: err.message, ...err.extra });
      }
      console.error(`${this.id}: internal error:`, err);
      sendJson(res, 500, { error: `${this.id} hit an unexpected error; it has been logged` });
    }
  }
  // #endregion dispatch

  /** Stops the clock and the server; clients still waiting learn that the outcome is unknown. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const q of this.proposals.splice(0)) q.resolve(503, { error: `${this.id} is shutting down; retry on another node`, retryable: true });
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(504, { error: `${this.id} is shutting down; the request may or may not be applied: retry with the same client and seq on another node`, outcome: 'unknown', node: this.id });
      this.waiting.delete(id);
    }
    while (this.flushing) await new Promise((r) => setTimeout(r, 5)); // the fsync in flight finishes
    this.http.close();
    this.http.closeIdleConnections();
    await this.storage.close();
    this.agent.destroy();
  }
}

/** The answer to a request this node cannot propose: 421 naming the leader, or 503 when none is known. */
function refusal(self: string, leader: string | null, peers: Record<string, string>): { status: number; message: string; extra: Record<string, unknown> } {
  if (leader === null) return { status: 503, message: `${self} knows no leader right now (an election is under way?); retry in a moment`, extra: { leader: null, retryable: true } };
  const leaderUrl = peers[leader] ?? null;
  return { status: 421, message: `${self} is not the leader; send the request to ${leader} at ${leaderUrl}`, extra: { leader, leaderUrl } };
}

// #region parsing
/** The body's fields for `op`: PUT {value}, cas {expected, value}; GET and DELETE take no body. */
function parseBodyFields(op: KvCommand['op'], text: string): Record<string, unknown> {
  const fields: Record<string, string[]> = { put: ['value'], cas: ['expected', 'value'], get: [], delete: [] };
  const wanted = fields[op]!;
  if (wanted.length === 0) {
    if (text.trim() !== '' && text.trim() !== '{}') throw new HttpError(400, `${op === 'get' ? 'GET' : 'DELETE'} /kv/<key> takes no body`);
    return {};
  }
  const body = parseJson(text);
  const example = op === 'put' ? '{"value": "hello"}' : '{"expected": "old" or null, "value": "new"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, `the body must be a JSON object, e.g. ${example}`);
  const record = body as Record<string, unknown>;
  const extra = Object.keys(record).find((k) => !wanted.includes(k));
  if (extra !== undefined) throw new HttpError(400, `unknown field ${JSON.stringify(extra.slice(0, 40))}; the body is ${example}`);
  const valueError = valueProblem(record.value);
  if (valueError !== null) throw new HttpError(400, `${valueError}; the body is ${example}`);
  if (op === 'cas') {
    if (!('expected' in record)) throw new HttpError(400, `field "expected" is missing (null means "the key is absent"); the body is ${example}`);
    if (record.expected !== null) {
      const e = valueProblem(record.expected, 'expected');
      if (e !== null) throw new HttpError(400, `${e} or null`);
    }
    return { expected: record.expected, value: record.value };
  }
  return { value: record.value };
}

/** ?client=<id>&seq=<n>: both or neither; no other query parameters. */
function parseIdentity(url: URL): { client?: string; seq?: number } {
  const unknown = [...url.searchParams.keys()].find((k) => k !== 'client' && k !== 'seq');
  if (unknown !== undefined) throw new HttpError(400, `unknown query parameter ${JSON.stringify(unknown.slice(0, 40))}; the only ones are client and seq`);
  if (url.searchParams.getAll('client').length > 1 || url.searchParams.getAll('seq').length > 1) throw new HttpError(400, 'give client and seq once each');
  const client = url.searchParams.get('client') ?? undefined;
  const seqText = url.searchParams.get('seq') ?? undefined;
  const seq = seqText === undefined ? undefined : /^\d{1,16}$/.test(seqText) ? Number(seqText) : NaN;
  const problem = clientProblem(client, seq === undefined || !Number.isNaN(seq) ? seq : seqText);
  if (problem !== null) throw new HttpError(400, problem);
  return client === undefined ? {} : { client, seq: seq! };
}
// #endregion parsing

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
    let ended = false;
    const cutOff = () => reject(new HttpError(400, 'the request was closed before its body ended'));
    req.on('data', onData);
    req.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    // A client that goes away mid-body is not our error (no "internal error" line), and leaves nothing waiting.
    req.on('error', cutOff);
    req.on('close', () => {
      if (!ended) cutOff();
    });
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
}

function parseUrl(target = '/'): URL {
  try {
    return new URL(`http://raft${target.startsWith('/') ? '' : '/'}${target}`);
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

/** The core's configuration for a real node: 10 ms ticks, a seed from the operating system's randomness. */
export function coreConfig(config: RaftServerConfig): Config {
  return {
    id: config.id,
    members: Object.keys(config.peers),
    electionTicks: ELECTION_TICKS,
    heartbeatTicks: HEARTBEAT_TICKS,
    seed: crypto.randomBytes(4).readUInt32LE(0),
    maxEntriesPerMessage: MAX_ENTRIES_PER_MESSAGE,
  };
}

// #region main
async function main(): Promise<void> {
  const print = (line: string) => console.log(line);
  const config = configFromEnv('raft node', USAGE, parseRaftConfig);
  const { id } = config;
  let lock: DataDirLock;
  let loaded: { persisted: Persisted; storage: RaftStorage; summary: string };
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    lock = await lockDataDir(config.dataDir, { role: 'raft node', print }); // before we read a byte of the log
    loaded = await RaftStorage.open(config.dataDir, print);
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      console.error(`${id}: another raft node (pid ${err.owner.pid}) is using ${config.dataDir}; stop it or set RAFT_DATA to another directory`);
      process.exit(1);
    }
    throw err;
  }
  print(`${id}: ${loaded.summary}`);
  const service = createService(coreConfig(config), loaded.persisted, config.snapshotEvery);
  const node = new RaftServer(service, loaded.storage, config, (err) => {
    console.error(`${id}: fatal: cannot write to ${config.dataDir} (${err.message}); stopping so nothing unwritten is acknowledged`);
    process.exit(1);
  });
  node.http.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is already in use (another node? an earlier run? the Docker setup?)' : err.message;
    console.error(`${id} cannot listen on ${config.host}:${config.port}: ${why}; stop that program or set PORT to another port`);
    process.exit(1); // the exit hook releases the lock
  });
  node.http.listen(config.port, config.host, () => {
    const address = node.http.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    print(`raft node ${id} listening on http://${config.host}:${port} (members ${Object.keys(config.peers).join(', ')}; tick ${TICK_MS} ms, election timeout ${ELECTION_TICKS[0] * TICK_MS}-${ELECTION_TICKS[1] * TICK_MS} ms, heartbeat ${HEARTBEAT_TICKS * TICK_MS} ms; snapshot every ${config.snapshotEvery} entries; data in ${config.dataDir})`);
    node.start();
    // A parent with an IPC channel (a runner) learns that we serve, and where.
    process.send?.({ type: 'ready', id, port, url: `http://${config.host}:${port}` });
  });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    print(`${id}: ${why}: shutting down (this run wrote ${loaded.storage.counters.records} records with ${loaded.storage.counters.fsyncs} fsyncs)`);
    setTimeout(() => process.exit(0), 5_000).unref(); // a stuck client must not keep us alive forever
    await node.stop();
    node.http.closeAllConnections();
    lock.release();
    print(`${id}: bye`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Started by a runner with an IPC channel: when that parent dies, even by kill -9, the channel closes and we
  // stop too rather than hold the port for nobody. Our output went to the parent, so writes may now fail.
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
    if (err instanceof CorruptDataError) console.error(`raft node cannot start: ${err.message}`);
    else console.error('raft node failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
