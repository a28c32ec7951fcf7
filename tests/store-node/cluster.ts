// Real store nodes for integration tests: each a `node --import tsx examples/store/node/server.ts` process on
// a free port with its own data directory, short timings so elections happen within a second, and a client.
// Processes and directories are cleaned up by stopAll() (tests/helpers/processes.ts).

import http from 'node:http';
import path from 'node:path';
import { createStoreClient, type Answer, type StoreClient } from '../../examples/store/node/client.ts';
import { freePort, makeTempDir, startScript, waitFor, type Proc } from '../helpers/processes.ts';

export const SERVER = 'examples/store/node/server.ts';

/** Short timings: a leader is elected within ~1 s, anti-entropy runs several times a second. */
export const FAST: Record<string, string> = {
  STORE_HEARTBEAT_MS: '50',
  STORE_ELECTION_TIMEOUT_MS: '600',
  STORE_ANTI_ENTROPY_MS: '300',
};

export interface TestNode {
  name: string;
  port: number;
  url: string;
  dataDir: string;
  env: Record<string, string>;
  proc: Proc;
  client: StoreClient;
}

export interface Cluster {
  nodes: TestNode[];
  node(name: string): TestNode;
  /** Starts (or restarts) a node with its own port and data directory, and waits until it listens. */
  start(name: string): Promise<TestNode>;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `size` nodes n1..n<size>. Only the first `members` of them are started and know each other; the others get
 * a port and a directory, know everyone, and wait to be started (and joined with POST /admin/members).
 */
export async function startCluster(size: number, extraEnv: Record<string, string> = {}, members = size): Promise<Cluster> {
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const ports = await Promise.all(names.map(() => freePort()));
  const peersOf = (count: number) => names.slice(0, count).map((n, i) => `${n}=http://127.0.0.1:${ports[i]}`).join(',');
  const root = makeTempDir('store-test-');
  const nodes: TestNode[] = names.map((name, i) => {
    const peers = peersOf(i < members ? members : size);
    const env = { STORE_ID: name, STORE_PORT: String(ports[i]), STORE_PEERS: peers, STORE_DATA_DIR: path.join(root, name), ...FAST, ...extraEnv };
    return { name, port: ports[i]!, url: `http://127.0.0.1:${ports[i]}`, dataDir: env.STORE_DATA_DIR, env, proc: null as unknown as Proc, client: createStoreClient(`http://127.0.0.1:${ports[i]}`) };
  });
  const node = (name: string) => nodes.find((n) => n.name === name) ?? fail(`no node ${name}`);
  const cluster: Cluster = {
    nodes,
    node,
    async start(name) {
      const n = node(name);
      n.proc = startScript(SERVER, n.env, `store ${name}`);
      await n.proc.waitForLine(/listening on http/, 30_000);
      return n;
    },
    async kill(name, signal = 'SIGKILL') {
      await node(name).proc.kill(signal);
    },
  };
  await Promise.all(names.slice(0, members).map((n) => cluster.start(n)));
  return cluster;
}

function fail(message: string): never {
  throw new Error(message);
}

/** Retries a request until `accept` says yes; returns the accepted answer. Never asserts how long it took. */
export function until(what: string, request: () => Promise<Answer>, accept: (a: Answer) => boolean, timeoutMs = 30_000): Promise<Answer> {
  let last: Answer | null = null;
  return waitFor(
    what,
    async () => {
      last = await request();
      return accept(last) ? last : null;
    },
    timeoutMs,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
  });
}

/** A raw HTTP request (any method, any header), for the fuzz test: fetch refuses some of what we send. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; text: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    // Always framed by content-length: Node sends a DELETE's body unframed otherwise, and the server would
    // read it as the start of the next request.
    const framed = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: framed, timeout: 15_000 });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${target}`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          // left undefined: the test says what it expected
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.end(body);
  });
}
