// The account server: the pure core (../core/account.ts) behind HTTP.
//
//   POST /deposit  {"requestId": "abc-1", "amount": 100}  -> the handler's reply
//   GET  /balance                                          -> {"balance": ..., "rememberedRequests": ...}
//
// Environment:
//   PORT=7600            where to listen (0 picks a free port; the real one is printed)
//   IDEMPOTENT=0|1       0: the naive handler (default), 1: the idempotent handler with a dedup table
//   DROP_REPLIES=...     simulate lost replies: "every-other" (the 1st, 3rd, 5th... deposit) or a chance such
//                        as "0.5". The deposit IS applied, then the connection is cut without an answer:
//                        from the client's side, exactly what a reply lost in the network looks like.
//   SEED=42              makes a DROP_REPLIES chance reproducible (a random seed is printed otherwise)
//
// Run it alone:  IDEMPOTENT=1 node --import tsx examples/messaging/node/server.ts

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  createAccount,
  handleDepositIdempotent,
  handleDepositNaive,
  type DepositRequest,
} from '../core/account.ts';
import { mulberry32 } from '../../shared/random.ts';

export interface ServerOptions {
  idempotent: boolean;
  /** Decides, for the n-th deposit handled (1-based), whether to cut the connection instead of replying. */
  dropReply: (n: number) => boolean;
  log: (line: string) => void;
}

const MAX_BODY_BYTES = 16 * 1024;

// #region server
export function createAccountServer(options: ServerOptions): http.Server {
  const state = createAccount();
  const handle = options.idempotent ? handleDepositIdempotent : handleDepositNaive;
  let depositsHandled = 0;

  return http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/balance') {
        if (req.method !== 'GET') return send(res, 405, { error: 'method-not-allowed', message: 'use GET /balance' });
        return send(res, 200, { balance: state.balance, rememberedRequests: Object.keys(state.replies).length });
      }
      if (url.pathname !== '/deposit') {
        return send(res, 404, { error: 'not-found', message: `no route ${url.pathname}; try POST /deposit or GET /balance` });
      }
      if (req.method !== 'POST') return send(res, 405, { error: 'method-not-allowed', message: 'use POST /deposit' });

      const parsed = parseDeposit(await readBody(req));
      if ('error' in parsed) return send(res, parsed.status, { error: parsed.error, message: parsed.message });

      const duplicate = options.idempotent && state.replies[parsed.requestId] !== undefined;
      const reply = handle(state, parsed);
      if (!reply.ok) return send(res, 400, { error: reply.error, message: reply.message });

      depositsHandled += 1;
      const what = duplicate
        ? `${parsed.requestId} seen before: NOT applied again, stored reply resent (balance ${state.balance})`
        : `${parsed.requestId} +${parsed.amount} applied -> balance ${state.balance}`;
      if (options.dropReply(depositsHandled)) {
        options.log(`${what}; reply DROPPED (connection cut)`);
        // The work is done, but the client will never hear about it.
        req.socket.destroy();
        return;
      }
      options.log(`${what}; reply sent`);
      return send(res, 200, reply);
    } catch (err) {
      // A bug must not take the server down; answer 500 and keep serving.
      options.log(`internal error: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal', message: 'the server hit an unexpected error' });
    }
  });
}
// #endregion server

type Parsed = DepositRequest | { status: number; error: string; message: string };

/** Check the shape of the JSON body. Amount rules (positive, whole) are the core's job. */
function parseDeposit(body: string | null): Parsed {
  if (body === null) return { status: 413, error: 'body-too-large', message: `the body must be under ${MAX_BODY_BYTES} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { status: 400, error: 'invalid-json', message: 'the body must be JSON like {"requestId":"a-1","amount":100}' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { status: 400, error: 'invalid-request', message: 'the body must be a JSON object' };
  }
  const { requestId, amount } = data as Record<string, unknown>;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 200) {
    return { status: 400, error: 'invalid-request', message: 'requestId must be a non-empty string of at most 200 characters' };
  }
  if (typeof amount !== 'number') {
    return { status: 400, error: 'invalid-request', message: 'amount must be a number' };
  }
  return { type: 'deposit', requestId, amount };
}

/** Read the whole body, or return null once it is bigger than MAX_BODY_BYTES. */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Turn DROP_REPLIES into a decision function. Throws on a value we do not understand. */
export function parseDropReplies(value: string | undefined, seed: number): { drop: (n: number) => boolean; description: string } {
  if (value === undefined || value === '' || value === '0') return { drop: () => false, description: 'none' };
  if (value === 'every-other') return { drop: (n) => n % 2 === 1, description: 'every other reply (1st, 3rd, ...)' };
  const chance = Number(value);
  if (!Number.isFinite(chance) || chance < 0 || chance > 1) {
    throw new Error(`DROP_REPLIES must be "every-other" or a chance from 0 to 1, got "${value}"`);
  }
  const random = mulberry32(seed);
  return { drop: () => random() < chance, description: `each reply with chance ${chance} (seed ${seed})` };
}

function main(): void {
  const port = Number(process.env.PORT ?? 7600);
  const idempotent = process.env.IDEMPOTENT === '1';
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
  let dropping: ReturnType<typeof parseDropReplies>;
  try {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be 0..65535, got "${process.env.PORT}"`);
    dropping = parseDropReplies(process.env.DROP_REPLIES, seed);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  const server = createAccountServer({
    idempotent,
    dropReply: dropping.drop,
    log: (line) => console.log(line),
  });
  // A malformed HTTP request gets a 400 instead of an unhandled error.
  server.on('clientError', (_err, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
  server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
    const address = server.address();
    const actual = typeof address === 'object' && address !== null ? address.port : port;
    console.log(
      `listening on http://127.0.0.1:${actual} (handler: ${idempotent ? 'idempotent' : 'naive'}, dropped replies: ${dropping.description})`,
    );
  });
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref(); // do not wait long for open connections
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
