// Real Raft nodes for integration tests: each a `node --import tsx examples/raft/node/server.ts` process on a
// free port with its own data directory, and clients that find the leader. Processes and directories are
// cleaned up by stopAll() (tests/helpers/processes.ts).

import http from 'node:http';
import path from 'node:path';
import { fetchStatus, RaftClient, type RaftClientOptions } from '../../examples/raft/node/client.ts';
import { freePort, makeTempDir, startScript, waitFor, type Proc } from '../helpers/processes.ts';

export const SERVER = 'examples/raft/node/server.ts';

export interface TestNode {
  name: string;
  port: number;
  url: string;
  dataDir: string;
  env: Record<string, string>;
  proc: Proc;
}

export interface RaftStatus {
  id: string;
  role: 'follower' | 'candidate' | 'leader';
  term: number;
  leaderId: string | null;
  leaderUrl: string | null;
  commitIndex: number;
  lastApplied: number;
  lastIndex: number;
  snapshotIndex: number;
  blocked: string[];
  stats: { storage: { snapshots: number; fsyncs: number } };
}

export interface Cluster {
  nodes: TestNode[];
  members: Record<string, string>;
  node(name: string): TestNode;
  /** Starts (or restarts) a node on its port with its data directory, and waits until it listens. */
  start(name: string): Promise<TestNode>;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  running(): TestNode[];
  /** Waits until the running nodes agree on one leader (a majority of them names it); returns its node. */
  leader(timeoutMs?: number): Promise<TestNode>;
  status(name: string): Promise<RaftStatus>;
  client(options?: Partial<RaftClientOptions>): RaftClient;
}

/** `size` nodes n1..n<size>, all started. */
export async function startCluster(size: number, extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const ports = await Promise.all(names.map(() => freePort()));
  const members = Object.fromEntries(names.map((n, i) => [n, `http://127.0.0.1:${ports[i]}`]));
  const peers = Object.entries(members).map(([n, u]) => `${n}=${u}`).join(',');
  const root = makeTempDir('raft-test-');
  const nodes: TestNode[] = names.map((name, i) => {
    const env = { RAFT_ID: name, PORT: String(ports[i]), RAFT_PEERS: peers, RAFT_DATA: path.join(root, name), ...extraEnv };
    return { name, port: ports[i]!, url: members[name]!, dataDir: env.RAFT_DATA, env, proc: null as unknown as Proc };
  });
  const node = (name: string) => nodes.find((n) => n.name === name) ?? fail(`no node ${name}`);
  const running = () => nodes.filter((n) => n.proc?.running());
  const status = async (name: string) => (await fetchStatus(node(name).url)) as unknown as RaftStatus;
  const cluster: Cluster = {
    nodes,
    members,
    node,
    running,
    status,
    async start(name) {
      const n = node(name);
      n.proc = startScript(SERVER, n.env, `raft ${name}`);
      await n.proc.waitForLine(/listening on http/, 30_000);
      return n;
    },
    async kill(name, signal = 'SIGKILL') {
      await node(name).proc.kill(signal);
    },
    async leader(timeoutMs = 30_000) {
      return waitFor(
        'one leader the running nodes agree on',
        async () => {
          const up = running();
          const statuses = await Promise.all(up.map((n) => status(n.name).catch(() => null)));
          const leaders = statuses.filter((s) => s?.role === 'leader');
          if (leaders.length !== 1) return null;
          const agree = statuses.filter((s) => s?.leaderId === leaders[0]!.id && s.term === leaders[0]!.term).length;
          return agree * 2 > size ? node(leaders[0]!.id) : null;
        },
        timeoutMs,
        100,
      );
    },
    client(options = {}) {
      return new RaftClient({ members, ...options });
    },
  };
  await Promise.all(names.map((n) => cluster.start(n)));
  return cluster;
}

function fail(message: string): never {
  throw new Error(message);
}

/** A raw HTTP request (any method, any header, any body), for the fuzz tests: fetch refuses some of these. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: Record<string, unknown> | undefined }> {
  return new Promise((resolve, reject) => {
    // Always framed by content-length: Node sends a DELETE's body unframed otherwise.
    const framed = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: framed, timeout: 15_000, agent: false });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${target}`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // left undefined: the test says what it expected
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.end(body);
  });
}

/**
 * A raw request to whichever node leads: follows 421 answers, and tries the members in turn on 503 or a
 * connection error, for up to `timeoutMs`. For tests that need the exact HTTP answer but must not depend on
 * who leads at the moment (a busy machine can delay a heartbeat long enough for an election).
 */
export async function rawToLeader(
  cluster: Cluster,
  method: string,
  target: string,
  body: string,
  timeoutMs = 20_000,
): Promise<{ node: TestNode; status: number; json: Record<string, unknown> | undefined; text: string }> {
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  let hint: string | null = null;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const up = cluster.running();
    const node = (hint !== null ? up.find((n) => n.name === hint) : undefined) ?? up[next++ % up.length]!;
    hint = null;
    try {
      const r = await rawRequest(node.port, method, target, { 'content-type': 'application/json' }, body);
      if (r.status === 421 && typeof r.json?.leader === 'string') hint = r.json.leader;
      else if (r.status !== 503) return { node, ...r };
      last = `${node.name}: ${r.status} ${r.text.slice(0, 200)}`;
    } catch (err) {
      last = `${node.name}: ${String(err)}`;
    }
    if (hint === null) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no leader answered ${method} ${target} within ${timeoutMs} ms; last: ${last}`);
}
