// What the store bench needs from a cluster, whichever system it is: start it, hand out clients that talk
// to one member at one consistency level, cut a partition and heal it, stop it. Two implementations:
// our store (below: five `examples/store/node` processes) and etcd (etcd.ts: five etcd members).
//
// Both run on loopback, each member with its own temporary data directory, started through
// tests/helpers/processes.ts, which remembers every process so the bench can always stop them (also on
// Ctrl-C or a crash: see stopAll there).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { NODE_NAMES, STORE_SCRIPT, storeTopology } from '../../examples/store/node/topology.ts';
import { freePort, makeTempDir, REPO_ROOT, startScript, waitFor, type Proc } from '../helpers/processes.ts';
import { HttpClient } from './store-http.ts';

/** Our store's two levels, and etcd's: every write is linearizable; a read may be serializable instead. */
export type Consistency = 'strong' | 'eventual' | 'linearizable' | 'serializable';

/** One request's outcome. `ok`: the system answered it successfully (a 404 for a missing key is an answer). */
export interface Answer {
  ok: boolean;
  status: number; // the HTTP status, 0 when there was none (timeout, connection failed)
  reason?: string; // why not ok
}

/** A client with its own connection to one member, issuing every request at one consistency level. */
export interface KvClient {
  put(key: string, value: string): Promise<Answer>;
  get(key: string): Promise<Answer>;
  close(): void;
}

/** One side of a partition, from the clients' point of view. */
export interface Side {
  members: string[];
  /** False when the bench cannot send requests to this side at all (etcd's frozen minority: see etcd.ts). */
  measurable: boolean;
}

export interface KvCluster {
  system: 'store' | 'etcd';
  version: string;
  members: string[];
  pids(): number[];
  writeLevels: Consistency[];
  readLevels: Consistency[];
  client(member: string, level: Consistency, timeoutMs: number): KvClient;
  /** Resolves when every member answers and a write at each write level succeeds on every member. */
  ready(timeoutMs: number): Promise<void>;
  /** How `cut` separates the members (printed and saved beside the figures). */
  partitionMethod: string;
  /** Which `count` members to cut off (our store: the last ones; etcd: its leader first). */
  chooseMinority(count: number): Promise<string[]>;
  cut(minority: string[]): Promise<{ majority: Side; minority: Side }>;
  heal(): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Our store: the five processes of examples/store/node/topology.ts (the runner's and the chaos command's
// list: name, script, environment), on a block of five free ports, each with its own data directory
// (STORE_DATA_DIR). The HTTP shapes are those of the store's contract: PUT/GET /kv/<key>?consistency=...,
// GET /status, POST /admin/block and /admin/heal.
// ---------------------------------------------------------------------------------------------------

export function storeAvailable(): boolean {
  return fs.existsSync(path.join(REPO_ROOT, STORE_SCRIPT));
}

interface StoreNode {
  name: string;
  port: number;
  dataDir: string;
  proc: Proc;
}

/** A base port such that base+1 .. base+count are free right now (the topology numbers nodes from base+1). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = (await freePort()) - 1;
    if (base + count > 65_535) continue;
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + 1 + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`found no ${count} consecutive free ports`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function startStoreCluster(size = 5): Promise<KvCluster> {
  const specs = storeTopology(await freePortBlock(NODE_NAMES.length)).slice(0, size);
  const names = specs.map((s) => s.name);
  const nodes: StoreNode[] = specs.map((spec) => {
    const dataDir = makeTempDir(`bench-store-${spec.name}-`);
    const env = { ...spec.env, STORE_DATA_DIR: dataDir, STORE_HOST: '127.0.0.1' };
    return { name: spec.name, port: spec.port, dataDir, proc: startScript(spec.script, env, `store ${spec.name}`) };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const node = (name: string) => {
    const n = byName.get(name);
    if (n === undefined) throw new Error(`no store node ${name}`);
    return n;
  };
  const admin = async (name: string, route: string, body: unknown) => {
    const http = new HttpClient('127.0.0.1', node(name).port, 5_000);
    try {
      const answer = await http.request('POST', route, body);
      if (answer.status !== 200) throw new Error(`POST ${route} on ${name}: ${answer.status} ${JSON.stringify(answer.body) ?? answer.error}`);
    } finally {
      http.close();
    }
  };

  const cluster: KvCluster = {
    system: 'store',
    version: storeVersion(),
    members: names,
    pids: () => nodes.map((n) => n.proc.pid),
    writeLevels: ['strong', 'eventual'],
    readLevels: ['strong', 'eventual'],
    client: (member, level, timeoutMs) => storeClient(node(member).port, level, timeoutMs),
    async ready(timeoutMs) {
      for (const n of nodes) {
        await waitFor(`store ${n.name} to answer`, async () => {
          if (!n.proc.running()) throw new Error(`store ${n.name} exited:\n${n.proc.lines.slice(-15).join('\n')}`);
          const http = new HttpClient('127.0.0.1', n.port, 2_000);
          try {
            return (await http.request('GET', '/status')).status === 200;
          } finally {
            http.close();
          }
        }, timeoutMs, 100);
      }
      // Leaders are elected per replica group after an election timeout (1.5–3 s): wait until writes at both
      // levels succeed through every node, on keys spread over the groups.
      await everyMemberWrites(cluster, timeoutMs);
    },
    partitionMethod: 'POST /admin/block on every node: each side drops all peer traffic to and from the other side',
    chooseMinority: async (count) => names.slice(names.length - count),
    async cut(minority) {
      const majority = names.filter((n) => !minority.includes(n));
      await Promise.all([
        ...majority.map((n) => admin(n, '/admin/block', { peers: minority })),
        ...minority.map((n) => admin(n, '/admin/block', { peers: majority })),
      ]);
      return { majority: { members: majority, measurable: true }, minority: { members: minority, measurable: true } };
    },
    async heal() {
      await Promise.all(names.map((n) => admin(n, '/admin/heal', {})));
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.proc.kill('SIGTERM')));
    },
  };
  return cluster;
}

function storeVersion(): string {
  try {
    const commit = fs.readFileSync(path.join(REPO_ROOT, '.git', 'HEAD'), 'utf8').trim();
    return `examples/store/node (${commit.startsWith('ref:') ? commit.slice(5) : commit.slice(0, 12)})`;
  } catch {
    return 'examples/store/node';
  }
}

/**
 * A client of our store. An eventual write carries the context of this client's previous write of the same
 * key, so it replaces that version instead of piling up siblings (what a real client does: DDIA ch. 5); a
 * strong write needs none (the leader's context covers everything).
 */
function storeClient(port: number, level: Consistency, timeoutMs: number): KvClient {
  const http = new HttpClient('127.0.0.1', port, timeoutMs);
  const contexts = new Map<string, unknown>();
  const url = (key: string) => `/kv/${encodeURIComponent(key)}?consistency=${level}`;
  return {
    async put(key, value) {
      const context = level === 'eventual' ? contexts.get(key) : undefined;
      const a = await http.request('PUT', url(key), context === undefined ? { value } : { value, context });
      if (a.status === 200 && level === 'eventual') contexts.set(key, (a.body as { context?: unknown } | null)?.context);
      return answer(a.status, a.body, a.error, [200]);
    },
    async get(key) {
      const a = await http.request('GET', url(key));
      return answer(a.status, a.body, a.error, [200, 404]);
    },
    close: () => http.close(),
  };
}

/** ok when the status is one of `good`; otherwise the reason, from the body's `reason`/`error` if any. */
export function answer(status: number, body: unknown, error: string | undefined, good: number[]): Answer {
  if (good.includes(status)) return { ok: true, status };
  const b = (typeof body === 'object' && body !== null ? body : {}) as { reason?: unknown; error?: unknown; message?: unknown };
  const text = [b.reason, b.error, b.message].find((x) => typeof x === 'string') as string | undefined;
  return { ok: false, status, reason: error ?? text ?? (typeof body === 'string' && body !== '' ? body.slice(0, 200) : `HTTP ${status}`) };
}

/** Waits until a write at every write level succeeds through every member, on 10 different keys each. */
export async function everyMemberWrites(cluster: KvCluster, timeoutMs: number): Promise<void> {
  for (const member of cluster.members) {
    for (const level of cluster.writeLevels) {
      const client = cluster.client(member, level, 5_000);
      try {
        for (let k = 0; k < 10; k++) {
          await waitFor(`a ${level} write through ${cluster.system} ${member}`, async () => {
            const a = await client.put(`ready-${member}-${level}-${k}`, 'x');
            if (!a.ok) throw new Error(`${a.status} ${a.reason}`);
            return true;
          }, timeoutMs, 200);
        }
      } finally {
        client.close();
      }
    }
  }
}
