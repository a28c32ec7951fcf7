// The queue broker: the pure core (../core/queue.ts) behind HTTP, made durable by a command log.
//
//   GET  /health                       GET /stats                    GET /jobs/:id
//   GET  /jobs?status=dead&limit=100&after=job-123   (one page, see below)
//   POST /jobs {"payload", "idempotencyKey"?}
//   POST /jobs/lease {"workerId", "waitMs"?}      (long-poll: 204 if nothing turned up within waitMs)
//   POST /jobs/:id/heartbeat {"token"}   POST /jobs/:id/ack {"token"}   POST /jobs/:id/fail {"token","error"}
//   POST /jobs/:id/redrive               (a dead job goes back to pending)
// The API is documented, with curl examples, in docs/reference/queue-http-api.md. Every error is {"error": "<code>", "message": "<text>"}.
//
// GET /jobs pages through the jobs in the order they were enqueued and answers {"jobs": [...], "next": ...}.
// Every parameter is optional: `status` (pending, leased, done or dead), `limit` (1 to 1000 jobs, default
// 100) and `after` (start after this job id). Pass the answer's `next` as `after` to get the following
// page; `next` is null on the last page. A page costs what it holds, not the whole history: it walks job
// numbers from the cursor, at most 10,000 of them, so a filtered page may hold fewer than `limit` jobs
// (even none) while `next` is not yet null. See job-list.ts.
//
// Environment:
//   PORT=7700                    where to listen (0 picks a free port; the real one is printed)
//   HOST=127.0.0.1               interface to listen on. The API has no authentication, so by default only
//                                this machine can reach it; containers set HOST=0.0.0.0 (all interfaces).
//   DATA_DIR=examples/queue/.data   where the log and its snapshots live (see snapshot.ts). One broker per
//                                directory: it holds $DATA_DIR/broker.lock while it runs (see lock.ts).
//   COMPACT_AFTER_RECORDS=10000  fold the log into a snapshot after this many records, and no sooner than the
//                                log holds as many records as the state has jobs (0 = never; see durable-queue.ts)
//   VISIBILITY_TIMEOUT_MS=10000  how long a lease lasts without a heartbeat
//   MAX_ATTEMPTS=5               attempts before a job goes to the dead-letter queue
//   DONE_RETENTION_MS=3600000    how long a done job, and so its idempotency key, is remembered (1 hour); a
//                                producer that retries with that key later creates a new job. Keep it longer
//                                than any producer retries. Logged as a `configure` record like the others.
//
// Run it alone:  node --import tsx examples/queue/node/broker.ts

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command, Result } from '../core/queue.ts';
import { own, stats } from '../core/queue.ts';
import { DurableQueue, QueueClosedError } from './durable-queue.ts';
import { envInt, envString } from './env.ts';
import { HttpError, readBody, sendError, sendJson, sendJsonText } from './http-util.ts';
import { listJobs } from './job-list.ts';
import { DataDirInUseError, lockDataDir, type DataDirLock } from './lock.ts';
import { parseEnqueue, parseFail, parseJsonObject, parseLease, parseListQuery, parseToken } from './validate.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, id: string, url: URL) => Promise<void>;
interface Route {
  pattern: RegExp; // the first group, if any, is the job id
  methods: Record<string, Handler>;
}

/** The broker's HTTP server: the routes below behind one dispatcher that turns every failure into an answer. */
export function createBrokerServer(queue: DurableQueue): http.Server {
  return http.createServer(dispatcher(routesFor(queue)));
}

/** An answer fixed at the moment its command ran: what is sent later, after the fsync, cannot change. */
interface Answer {
  status: number;
  text: string; // the JSON body, already serialised
}

// #region request-path
/** Every state-changing request takes the same path: request -> command -> apply + log -> fsync -> reply. */
async function command(queue: DurableQueue, res: http.ServerResponse, cmd: Command): Promise<void> {
  const { result, durable } = queue.execute(cmd); // apply to the core and append to the log
  const answer = answerFor(result); // serialised now: while we wait, the job may be leased to someone else
  await durable; // wait for the fsync that covers this record (group commit, see log.ts)
  sendJsonText(res, answer.status, answer.text); // only now may the client hear about it
}
// #endregion request-path

/**
 * Turns the core's Result into an HTTP answer. Refusals become 404 or 409 with the core's own message;
 * an enqueue is 201 when this request created the job, 200 when its key was already known (a retry).
 */
function answerFor(result: Result): Answer {
  if (!result.ok) {
    const status = result.error === 'unknown-job' ? 404 : 409;
    return { status, text: JSON.stringify({ error: result.error, message: result.message }) };
  }
  if (result.type === 'enqueued') return { status: result.created ? 201 : 200, text: JSON.stringify({ job: result.job, created: result.created }) };
  return { status: 200, text: JSON.stringify('job' in result ? { job: result.job } : {}) };
}

/** A read is answered once what it shows is on disk (the body is serialised now, sent after). */
async function answerRead(queue: DurableQueue, res: http.ServerResponse, body: unknown): Promise<void> {
  const text = JSON.stringify(body); // a snapshot: the state may move on while we wait
  await queue.synced();
  sendJsonText(res, 200, text);
}

const bodyOf = async (req: http.IncomingMessage) => parseJsonObject(await readBody(req));

/** Every route: a path pattern and, per method, a handler that parses the request and runs one command. */
function routesFor(queue: DurableQueue): Route[] {
  const run = (res: http.ServerResponse, cmd: Command) => command(queue, res, cmd);

  return [
    { pattern: /^\/health$/, methods: { GET: async (_q, res) => sendJson(res, 200, { ok: true }) } },
    { pattern: /^\/stats$/, methods: { GET: async (_q, res) => answerRead(queue, res, stats(queue.state)) } },
    {
      pattern: /^\/jobs$/,
      methods: {
        GET: async (_q, res, _id, url) => answerRead(queue, res, listJobs(queue.state, parseListQuery(url.searchParams))),
        POST: async (req, res) => {
          const { payload, idempotencyKey } = parseEnqueue(await bodyOf(req));
          const cmd: Command = { type: 'enqueue', now: Date.now(), payload };
          if (idempotencyKey !== undefined) cmd.idempotencyKey = idempotencyKey;
          await run(res, cmd);
        },
      },
    },
    { pattern: /^\/jobs\/lease$/, methods: { POST: (req, res) => leaseRoute(queue, req, res) } },
    {
      pattern: /^\/jobs\/([^/]+)$/,
      methods: { GET: async (_q, res, id) => answerRead(queue, res, { job: knownJob(queue, id) }) },
    },
    {
      pattern: /^\/jobs\/([^/]+)\/heartbeat$/,
      methods: {
        POST: async (req, res, id) => {
          const { token } = parseToken(await bodyOf(req));
          await run(res, { type: 'heartbeat', now: Date.now(), jobId: safeDecode(id), token });
        },
      },
    },
    // #region ack-route
    {
      pattern: /^\/jobs\/([^/]+)\/ack$/,
      methods: {
        POST: async (req, res, id) => {
          const { token } = parseToken(await bodyOf(req)); // 400 unless {"token": "<string>"}
          await run(res, { type: 'ack', now: Date.now(), jobId: safeDecode(id), token }); // the core: 404 if unknown
        },
      },
    },
    // #endregion ack-route
    {
      pattern: /^\/jobs\/([^/]+)\/fail$/,
      methods: {
        POST: async (req, res, id) => {
          const { token, error } = parseFail(await bodyOf(req));
          await run(res, { type: 'fail', now: Date.now(), jobId: safeDecode(id), token, error, jitter: Math.random() });
        },
      },
    },
    {
      pattern: /^\/jobs\/([^/]+)\/redrive$/,
      methods: { POST: async (_q, res, id) => run(res, { type: 'redrive', now: Date.now(), jobId: safeDecode(id) }) },
    },
  ];
}

/** POST /jobs/lease {"workerId", "waitMs"?}: a job now, or a long-poll until one turns up or waitMs ends. */
async function leaseRoute(queue: DurableQueue, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { workerId, waitMs } = parseLease(await bodyOf(req));
  // #region lease-route
  await new Promise<void>((done) => {
    // `job` is a copy taken when the lease was granted (see leaseOrWait): only this worker sees its token.
    const cancel = queue.leaseOrWait(workerId, waitMs, (job) => {
      if (job === null) sendJson(res, 204);
      else sendJson(res, 200, { job });
      done();
    });
    // A worker that hangs up (killed, or gave up) must not be handed a job it will never see.
    res.on('close', () => {
      cancel();
      done();
    });
  });
  // #endregion lease-route
}

/**
 * For reads: looks a job up by id ("constructor" is not a job, whatever Object.prototype says: see `own`).
 * Commands need no such check: the core itself refuses an unknown id with `unknown-job`, a 404.
 */
function knownJob(queue: DurableQueue, rawId: string) {
  const id = safeDecode(rawId);
  const job = own(queue.state.jobs, id);
  if (job === undefined) throw new HttpError(404, 'unknown-job', `no job with id ${id}`);
  return job;
}

// #region dispatch
/** Finds the route for a request and runs it. Never crashes on input: every failure becomes an answer. */
function dispatcher(routes: Route[]): http.RequestListener {
  return async (req, res) => {
    // HttpError is a 4xx we meant; anything else is our bug, answered with a 500 and printed, and the
    // broker keeps serving everyone else.
    try {
      const url = parseUrl(req.url);
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (match === null) continue;
        const handler = route.methods[req.method ?? ''];
        if (handler === undefined) continue; // another route may take this method (GET /jobs/lease is a job id)
        return await handler(req, res, match[1] ?? '', url);
      }
      const allowed = routes.filter((r) => r.pattern.test(url.pathname)).flatMap((r) => Object.keys(r.methods));
      if (allowed.length > 0) {
        res.setHeader('allow', allowed.join(', '));
        throw new HttpError(405, 'method-not-allowed', `${req.method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}`);
      }
      throw new HttpError(404, 'not-found', `no route ${req.method} ${url.pathname}; see GET /health, /stats, /jobs`);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
      if (err instanceof QueueClosedError) return sendError(res, 503, 'shutting-down', 'the broker is stopping; retry in a moment');
      console.error('internal error:', err);
      sendError(res, 500, 'internal', 'the broker hit an unexpected error; it has been logged');
    }
  };
}
// #endregion dispatch

/** The request target as a URL. Prefixing the origin ourselves keeps "//x" a path, not a host name. */
function parseUrl(target = '/'): URL {
  try {
    return new URL(`http://broker${target.startsWith('/') ? '' : '/'}${target}`);
  } catch {
    throw new HttpError(400, 'bad-request', `cannot parse the request path ${JSON.stringify(target.slice(0, 100))}`);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'bad-request', `job id ${JSON.stringify(s)} is not valid URL encoding`);
  }
}

// #region main
async function main(): Promise<void> {
  const print = (line: string) => console.log(line);
  const dataDir = path.resolve(envString('DATA_DIR', path.join('examples', 'queue', '.data')));
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, { role: 'broker', print }); // before we read a byte of the log
  const queue = await DurableQueue.open({
    dataDir, // its snapshot and log are replayed here, before we accept a single request
    config: {
      visibilityTimeoutMs: envInt('VISIBILITY_TIMEOUT_MS', 10_000),
      maxAttempts: envInt('MAX_ATTEMPTS', 5),
      doneRetentionMs: envInt('DONE_RETENTION_MS', 3_600_000),
    },
    compactAfterRecords: envInt('COMPACT_AFTER_RECORDS', 10_000),
    print,
    onFatal: (err) => {
      console.error(`fatal: cannot write the log (${err.message}); stopping so nothing unlogged is acknowledged`);
      process.exit(1);
    },
  });
  const server = createBrokerServer(queue);
  const host = envString('HOST', '127.0.0.1');
  const port = envInt('PORT', 7700);
  server.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is already in use (another broker? the Docker setup?)' : err.message;
    console.error(`broker cannot listen on ${host}:${port}: ${why}; stop that program or set PORT to another port`);
    process.exit(1); // the exit hook releases the lock
  });
  server.listen(port, host, () => {
    const { visibilityTimeoutMs, maxAttempts } = queue.state.config;
    print(`broker listening on ${listeningUrl(server)} (visibility timeout ${visibilityTimeoutMs} ms, max attempts ${maxAttempts})`);
  });
  stopOnSignals(server, queue, lock, print);
}
// #endregion main

/** The address the server really listens on, as a URL: http://127.0.0.1:7700, http://0.0.0.0:7700, http://[::1]:7700 */
function listeningUrl(server: http.Server): string {
  const address = server.address();
  if (typeof address !== 'object' || address === null) return String(address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

// #region shutdown
/**
 * SIGTERM (docker stop, kill <pid>) or Ctrl-C: stop taking connections, release long-polling workers,
 * let in-flight requests finish their fsync and reply, then exit 0. Nothing acknowledged is lost,
 * because nothing was acknowledged before it was on disk. The data directory's lock goes last.
 */
function stopOnSignals(server: http.Server, queue: DurableQueue, lock: DataDirLock, print: (line: string) => void): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { records, fsyncs } = queue.logCounters;
    print(`${signal}: shutting down (this run wrote ${plural(records, 'record')} with ${plural(fsyncs, 'fsync')})`);
    server.close(); // stop accepting new connections
    server.closeIdleConnections(); // and drop keep-alive connections that have no request in flight
    setTimeout(() => process.exit(0), 5_000).unref(); // a stuck client must not keep us alive forever
    await queue.close(); // long-polling workers get 204; the last batch is fsynced
    await new Promise((r) => setTimeout(r, 50)); // let the last replies leave
    server.closeAllConnections();
    lock.release();
    print('log flushed; bye');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
// #endregion shutdown

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    if (err instanceof DataDirInUseError) console.error(err.message);
    else console.error('broker failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
