// The queue broker: the pure core (../core/queue.ts) behind HTTP, made durable by a command log.
//
//   GET  /health                       GET /stats                    GET /jobs/:id
//   GET  /jobs?status=dead&limit=100   POST /jobs {"payload", "idempotencyKey"?}
//   POST /jobs/lease {"workerId", "waitMs"?}      (long-poll: 204 if nothing turned up within waitMs)
//   POST /jobs/:id/heartbeat {"token"}   POST /jobs/:id/ack {"token"}   POST /jobs/:id/fail {"token","error"}
//   POST /jobs/:id/redrive               (a dead job goes back to pending)
// The API is documented, with curl examples, in docs/fundamentals/02-queue-system.md. Every error is {"error": "<code>", "message": "<text>"}.
//
// Environment:
//   PORT=7700                    where to listen (0 picks a free port; the real one is printed)
//   HOST=0.0.0.0                 interface to listen on
//   DATA_DIR=examples/queue/.data   the log lives at $DATA_DIR/queue.log
//   VISIBILITY_TIMEOUT_MS=10000  how long a lease lasts without a heartbeat
//   MAX_ATTEMPTS=5               attempts before a job goes to the dead-letter queue
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
import { parseEnqueue, parseFail, parseJsonObject, parseLease, parseListQuery, parseToken } from './validate.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, id: string, url: URL) => Promise<void>;
interface Route {
  pattern: RegExp; // the first group, if any, is the job id
  methods: Record<string, Handler>;
}

export function createBrokerServer(queue: DurableQueue): http.Server {
  // #region request-path
  /** Every state-changing request takes the same path: request -> command -> apply + log -> fsync -> reply. */
  async function command(res: http.ServerResponse, cmd: Command, okStatus = 200): Promise<void> {
    const { result, durable } = queue.execute(cmd); // apply to the core and append to the log
    await durable; // wait for the fsync that covers this record (group commit, see log.ts)
    reply(res, result, okStatus); // only now may the client hear about it
  }
  // #endregion request-path

  /** A read is answered once what it shows is on disk (the body is serialised now, sent after). */
  async function answerRead(res: http.ServerResponse, body: unknown): Promise<void> {
    const text = JSON.stringify(body); // a snapshot: the state may move on while we wait
    await queue.synced();
    sendJsonText(res, 200, text);
  }

  const bodyOf = async (req: http.IncomingMessage) => parseJsonObject(await readBody(req));

  const routes: Route[] = [
    { pattern: /^\/health$/, methods: { GET: async (_q, res) => sendJson(res, 200, { ok: true }) } },
    { pattern: /^\/stats$/, methods: { GET: async (_q, res) => answerRead(res, stats(queue.state)) } },
    {
      pattern: /^\/jobs$/,
      methods: {
        GET: async (_q, res, _id, url) => {
          const { status, limit } = parseListQuery(url.searchParams);
          const all = Object.values(queue.state.jobs);
          const jobs = (status === null ? all : all.filter((j) => j.status === status)).slice(0, limit);
          await answerRead(res, { jobs });
        },
        POST: async (req, res) => {
          const body = parseEnqueue(await bodyOf(req));
          const cmd: Command = { type: 'enqueue', now: Date.now(), payload: body.payload };
          if (body.idempotencyKey !== undefined) cmd.idempotencyKey = body.idempotencyKey;
          const { result, durable } = queue.execute(cmd);
          await durable;
          // 201 when this request created the job, 200 when the key was already known (a retry).
          reply(res, result, result.ok && result.type === 'enqueued' && result.created ? 201 : 200);
        },
      },
    },
    {
      pattern: /^\/jobs\/lease$/,
      methods: {
        POST: async (req, res) => {
          const { workerId, waitMs } = parseLease(await bodyOf(req));
          // #region lease-route
          await new Promise<void>((done) => {
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
        },
      },
    },
    {
      pattern: /^\/jobs\/([^/]+)$/,
      methods: { GET: async (_q, res, id) => answerRead(res, { job: knownJob(id) }) },
    },
    {
      pattern: /^\/jobs\/([^/]+)\/heartbeat$/,
      methods: {
        POST: async (req, res, id) => {
          const { token } = parseToken(await bodyOf(req));
          await command(res, { type: 'heartbeat', now: Date.now(), jobId: safeDecode(id), token });
        },
      },
    },
    // #region ack-route
    {
      pattern: /^\/jobs\/([^/]+)\/ack$/,
      methods: {
        POST: async (req, res, id) => {
          const { token } = parseToken(await bodyOf(req)); // 400 unless {"token": "<string>"}
          await command(res, { type: 'ack', now: Date.now(), jobId: safeDecode(id), token }); // the core: 404 if unknown
        },
      },
    },
    // #endregion ack-route
    {
      pattern: /^\/jobs\/([^/]+)\/fail$/,
      methods: {
        POST: async (req, res, id) => {
          const { token, error } = parseFail(await bodyOf(req));
          await command(res, { type: 'fail', now: Date.now(), jobId: safeDecode(id), token, error, jitter: Math.random() });
        },
      },
    },
    {
      pattern: /^\/jobs\/([^/]+)\/redrive$/,
      methods: {
        POST: async (_q, res, id) => command(res, { type: 'redrive', now: Date.now(), jobId: safeDecode(id) }),
      },
    },
  ];

  /**
   * For reads: looks a job up by id ("constructor" is not a job, whatever Object.prototype says: see `own`).
   * Commands need no such check: the core itself refuses an unknown id with `unknown-job`, a 404.
   */
  function knownJob(rawId: string) {
    const id = safeDecode(rawId);
    const job = own(queue.state.jobs, id);
    if (job === undefined) throw new HttpError(404, 'unknown-job', `no job with id ${id}`);
    return job;
  }

  // #region dispatch
  return http.createServer(async (req, res) => {
    // Never crash on input: every failure becomes an answer. HttpError is a 4xx we meant; anything else
    // is our bug, answered with a 500 and printed, and the broker keeps serving everyone else.
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
  });
  // #endregion dispatch
}

/** Turns the core's Result into an HTTP answer: refusals become 404 or 409 with the core's own message. */
function reply(res: http.ServerResponse, result: Result, okStatus: number): void {
  if (!result.ok) {
    const status = result.error === 'unknown-job' ? 404 : 409;
    return sendError(res, status, result.error, result.message);
  }
  if (result.type === 'enqueued') return sendJson(res, okStatus, { job: result.job, created: result.created });
  if ('job' in result) return sendJson(res, okStatus, { job: result.job });
  sendJson(res, okStatus, {});
}

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
  const dataDir = envString('DATA_DIR', path.join('examples', 'queue', '.data'));
  fs.mkdirSync(dataDir, { recursive: true });
  const queue = await DurableQueue.open({
    logPath: path.join(dataDir, 'queue.log'), // replayed here, before we accept a single request
    config: { visibilityTimeoutMs: envInt('VISIBILITY_TIMEOUT_MS', 10_000), maxAttempts: envInt('MAX_ATTEMPTS', 5) },
    print,
    onFatal: (err) => {
      console.error(`fatal: cannot write the log (${err.message}); stopping so nothing unlogged is acknowledged`);
      process.exit(1);
    },
  });
  const server = createBrokerServer(queue);
  const host = envString('HOST', '0.0.0.0');
  server.listen(envInt('PORT', 7700), host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    const { visibilityTimeoutMs, maxAttempts } = queue.state.config;
    print(`broker listening on http://${shown}:${port} (visibility timeout ${visibilityTimeoutMs} ms, max attempts ${maxAttempts})`);
  });
  stopOnSignals(server, queue, print);
}
// #endregion main

// #region shutdown
/**
 * SIGTERM (docker stop, kill <pid>) or Ctrl-C: stop taking connections, release long-polling workers,
 * let in-flight requests finish their fsync and reply, then exit 0. Nothing acknowledged is lost,
 * because nothing was acknowledged before it was on disk.
 */
function stopOnSignals(server: http.Server, queue: DurableQueue, print: (line: string) => void): void {
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
    print('log flushed; bye');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
// #endregion shutdown

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error('broker failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
