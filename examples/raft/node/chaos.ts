// `npm run chaos:raft -- --seed N --out history.jsonl [--duration 30]`: the Raft key-value database against
// real trouble, the way `npm run chaos:store` tests the store (Part II).
//
// It starts five real Raft nodes (server.ts, the topology of topology.ts on free ports, each with its own disk
// in a temporary directory; they snapshot every 50 applied entries, so logs are compacted and a node that comes
// back far behind may be sent the leader's snapshot, InstallSnapshot, instead of entries), runs a few
// clients doing put/get/delete/cas on a few keys, and meanwhile follows a schedule made from the seed: kill -9 a
// node (often the leader), start it again on its disk, cut the network (POST /admin/block on every node; often
// the leader on the small side), heal it. Every client operation is written down with when it was called and
// when it returned (one clock), in the JSONL format of tests/helpers/kv-history.ts, and at the end the history
// is checked by tests/helpers/linearizability.ts: is there one order of all the operations, consistent with real
// time, in which every answer is right?
//
// The clients are Raft clients (§8 of the paper): each has a client id and numbers its requests 1, 2, 3 …, one
// at a time. A request that gets no answer (a timeout, a node killed under it, 504) is sent again with the SAME
// id and number, to the leader a 421 names or to another node, until a definite answer; the leader applies it at
// most once and answers a retry from its record. So most operations end with a known outcome even across
// crashes. What each ends as in the history:
//   200 (404 for a get: null; 409 for a cas: false)   it happened, once; "return" is when the last attempt answered
//   every attempt definitely refused (503 no leader or lost to another leader, connection refused, 400)
//                                                      "error": not applied
//   no definite answer within 10 s, and some attempt may have reached a leader
//                                                      "return": null, outcome unknown; the client continues under a
//                                                      new id ("c2.1"), since the old request may still be applied
//
// The seed fixes the fault schedule (what happens when, to which node or to whichever node leads then) and what
// each client asks; the interleaving of real processes is not reproducible, so a re-run with the same seed is
// the same experiment, not the same history. `--check history.jsonl` only checks an existing file.
//
// Exit status: 0 linearizable, 1 not linearizable (or the run itself failed), 2 bad arguments, 3 the checker ran
// out of its search budget (no verdict; try a shorter --duration or fewer --clients).
//
// Shared rather than copied: the Raft client (client.ts), the history format and checker (tests/helpers), the HTTP helper (store's
// run-http.ts), blocksFor and clip (store's run-commands.ts and chaos.ts), mulberry32. Written here because the
// store's are module-private or store-specific: the Cluster class (the Raft environment) and the
// schedule (it aims at the leader).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../../shared/random.ts';
import { checkHistory } from '../../../tests/helpers/linearizability.ts';
import { formatHistory, parseHistory, type KvOperation } from '../../../tests/helpers/kv-history.ts';
import { blocksFor } from '../../store/node/run-commands.ts';
import { clip } from '../../store/node/chaos.ts';
import { http } from '../../store/node/run-http.ts';
import { RaftClient } from './client.ts';
import { NODE_NAMES, raftTopology, type RaftNodeSpec } from './topology.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** How long one operation keeps retrying before it is written down as unknown (or refused). */
const OP_PATIENCE_MS = 10_000;

const USAGE = `usage: npm run chaos:raft -- --seed N --out history.jsonl [--duration 30] [--clients 4] [--keys 3] [--keep]
       npm run chaos:raft -- --check history.jsonl
  --seed N        the fault schedule and the clients' choices (a whole number)
  --out FILE      where to write the history (JSONL, one operation per line; the format of npm run chaos:store)
  --duration S    seconds of clients and faults, 10 to 600 (default 30; the whole run takes about 15 s more)
  --clients C     concurrent clients, 1 to 16 (default 4)
  --keys K        keys the clients share, 1 to 10 (default 3)
  --keep          keep the nodes' data and logs (kept anyway when the history is not linearizable)
  --check FILE    check an existing history and print the verdict; starts nothing
  --help, -h      this text`;

interface Options {
  seed: number;
  out: string;
  /** --out as given, for the re-run command. */
  outArg: string;
  duration: number;
  clients: number;
  keys: number;
  keep: boolean;
}

export function parseArgs(argv: readonly string[]): { options: Options } | { check: string } | { help: true } | { error: string } {
  const values: Record<string, string> = {};
  let keep = false;
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--keep') keep = true;
    else if (['--seed', '--out', '--duration', '--clients', '--keys', '--check'].includes(a)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` };
      values[a.slice(2)] = v;
    } else return { error: `unknown argument "${a}"` };
  }
  if (values.check !== undefined) return Object.keys(values).length === 1 && !keep ? { check: values.check } : { error: '--check takes no other option' };
  const int = (name: string, fallback: number | undefined, min: number, max: number): number | string => {
    const text = values[name];
    if (text === undefined) return fallback === undefined ? `--${name} is required` : fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) return `--${name} must be a whole number from ${min} to ${max}, got "${text}"`;
    return Number(text);
  };
  const seed = int('seed', undefined, 0, 2 ** 32 - 1);
  const duration = int('duration', 30, 10, 600);
  const clients = int('clients', 4, 1, 16);
  const keys = int('keys', 3, 1, 10);
  for (const v of [seed, duration, clients, keys]) if (typeof v === 'string') return { error: v };
  if (values.out === undefined) return { error: '--out is required (where to write the history)' };
  return { options: { seed: seed as number, outArg: values.out, out: path.resolve(values.out), duration: duration as number, clients: clients as number, keys: keys as number, keep } };
}

// #region schedule
/** A node by name, or `leader`: whichever node leads when the fault happens. */
export type Target = string | 'leader';
export type Fault =
  | { at: number; kind: 'kill'; node: Target }
  | { at: number; kind: 'restart' }
  | { at: number; kind: 'partition'; cut: number; withLeader: boolean }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'restart-all' };

/**
 * The faults, from the seed alone: every 1.5-3.5 s one of kill -9 (the leader half the time; at most two nodes
 * down at once, so a majority can still be alive), restart the node down longest, partition (one or two nodes
 * cut off from the rest, the leader among them half the time), heal. The last quarter is calm: everything
 * healed and restarted, so the run ends with a cluster that works and clients that finish.
 */
export function schedule(seed: number, durationMs: number, nodes: readonly string[] = NODE_NAMES): Fault[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const faults: Fault[] = [];
  let down = 0;
  let partitioned = false;
  const calmAt = Math.round(durationMs * 0.75);
  for (let at = 1500 + Math.round(rnd() * 1500); at < calmAt; at += 1500 + Math.round(rnd() * 2000)) {
    const options: string[] = [];
    if (down < 2) options.push('kill', 'kill');
    if (down > 0) options.push('restart', 'restart');
    options.push(partitioned ? 'heal' : 'partition');
    const kind = pick(options);
    if (kind === 'kill') {
      down++;
      faults.push({ at, kind, node: rnd() < 0.5 ? 'leader' : pick(nodes) });
    } else if (kind === 'restart') {
      down--;
      faults.push({ at, kind });
    } else if (kind === 'partition') {
      faults.push({ at, kind, cut: 1 + Math.floor(rnd() * 2), withLeader: rnd() < 0.5 });
      partitioned = true;
    } else {
      faults.push({ at, kind: 'heal' });
      partitioned = false;
    }
  }
  faults.push({ at: calmAt, kind: 'heal' }, { at: calmAt, kind: 'restart-all' });
  return faults;
}
// #endregion schedule

// #region cluster
class Cluster {
  readonly children = new Map<string, ChildProcess>();
  /** Who went down, in order (restart brings back the one down longest). */
  readonly downOrder: string[] = [];
  sides: string[][] | null = null;
  constructor(
    readonly specs: RaftNodeSpec[],
    readonly dir: string,
  ) {}

  url(name: string): string {
    return `http://127.0.0.1:${this.specs.find((s) => s.name === name)!.port}`;
  }

  start(name: string): void {
    const spec = this.specs.find((s) => s.name === name)!;
    const log = fs.openSync(path.join(this.dir, `${name}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
      cwd: repoRoot,
      env: { ...process.env, RAFT_SNAPSHOT_EVERY: process.env.RAFT_SNAPSHOT_EVERY ?? '50', ...spec.env, RAFT_DATA: path.join(this.dir, name) },
      stdio: ['ignore', log, log, 'ipc'], // the IPC channel: a node whose chaos run dies (kill -9) stops too
      detached: process.platform !== 'win32', // our Ctrl-C handler stops them, not the terminal
    });
    fs.closeSync(log);
    this.children.set(name, child);
    const i = this.downOrder.indexOf(name);
    if (i !== -1) this.downOrder.splice(i, 1);
    child.on('exit', () => {
      if (this.children.get(name) === child) this.children.delete(name);
    });
  }

  async kill(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
    this.downOrder.push(name);
  }

  /** The node that says it leads in the highest term, among those that answer. */
  async leader(): Promise<string | null> {
    const answers = await Promise.all(
      [...this.children.keys()].map(async (name) => {
        try {
          const a = await http('GET', `${this.url(name)}/status`, undefined, 1_000);
          return a.status === 200 && a.body.role === 'leader' ? { name, term: a.body.term as number } : null;
        } catch {
          return null;
        }
      }),
    );
    const leaders = answers.filter((a): a is { name: string; term: number } => a !== null).sort((a, b) => b.term - a.term);
    return leaders[0]?.name ?? null;
  }

  /** Tells the running nodes (or only `only`) the current cut: heal, then block the other sides. */
  async applyBlocks(only?: string): Promise<void> {
    const blocks = this.sides ? blocksFor(this.sides) : {};
    await Promise.all(
      this.specs
        .map((s) => s.name)
        .filter((name) => (only === undefined || name === only) && this.children.has(name))
        .map(async (name) => {
          try {
            await http('POST', `${this.url(name)}/admin/heal`, {}, 2_000);
            const peers = blocks[name] ?? [];
            if (peers.length > 0) await http('POST', `${this.url(name)}/admin/block`, { peers }, 2_000);
          } catch {
            // down or dying: a node that restarts later is told then
          }
        }),
    );
  }

  async waitUp(name: string, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.children.has(name)) {
      try {
        if ((await http('GET', `${this.url(name)}/status`, undefined, 1_000)).status === 200) return true;
      } catch {
        // not yet
      }
      await sleep(100);
    }
    return false;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((n) => this.kill(n)));
  }
}

/** Five consecutive free ports (nodes on base+1..base+5), tried from a random base. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000); // below Linux's ephemeral range: nodes restart on their ports
    let ok = true;
    for (let p = base + 1; p <= base + NODE_NAMES.length && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('found no five free consecutive ports on 127.0.0.1');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
// #endregion cluster

// #region clients
interface Counts {
  ok: number;
  refused: number;
  unknown: number;
  retries: number;
}

type Record_ = KvOperation & { node?: string; attempts?: number; note?: string };

/**
 * One Raft client (client.ts): one request at a time, each with its client id and sequence number, retried
 * with the same pair until it has a definite answer or OP_PATIENCE_MS pass. Every operation is recorded.
 */
async function runClient(index: number, o: Options, cluster: Cluster, clock: () => number, until: number, history: KvOperation[], counts: Counts): Promise<void> {
  const rnd = mulberry32((o.seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const seen: Record<string, string | null> = {}; // the last value this client saw per key
  const members = Object.fromEntries(NODE_NAMES.map((n) => [n, cluster.url(n)]));
  const newClient = (id: string) => new RaftClient({ members, clientId: id, attemptTimeoutMs: 3_000, timeoutMs: OP_PATIENCE_MS });
  let id = `c${index}`;
  let client = newClient(id);
  let incarnation = 0;
  let n = 0;
  while (clock() < until) {
    const key = pick(keys);
    const r = rnd();
    const op: KvOperation['op'] = r < 0.35 ? 'put' : r < 0.65 ? 'get' : r < 0.75 ? 'delete' : 'cas';
    const value = `${id}-${++n}`;
    // Extra fields (node, attempts, note) are allowed by the format and ignored by the checker; they help a reader.
    const record: Record_ = { client: id, op, key, call: 0, return: null };
    if (op === 'put' || op === 'cas') record.value = value;
    if (op === 'cas') record.expected = rnd() < 0.2 ? null : (seen[key] ?? null);
    record.call = clock();
    const result = op === 'put' ? await client.put(key, value) : op === 'get' ? await client.get(key) : op === 'delete' ? await client.delete(key) : await client.cas(key, record.expected!, value);
    const at = clock();
    record.attempts = result.attempts;
    counts.retries += result.attempts - 1;
    if (result.ok) {
      record.return = at;
      record.node = result.node;
      record.output = op === 'get' ? (result.status === 404 ? null : (result.body.value as string)) : op === 'cas' ? result.status === 200 : 'ok';
      counts.ok++;
      if (op === 'get') seen[key] = record.output as string | null;
      else if (op === 'put' || (op === 'cas' && record.output === true)) seen[key] = value;
      else if (op === 'delete') seen[key] = null;
    } else if (result.outcome === 'failed') {
      Object.assign(record, { return: at, error: clip(`not applied: ${result.status} ${result.error}`, 200) });
      counts.refused++;
    } else {
      record.note = clip(result.error, 200);
      counts.unknown++;
      id = `c${index}.${++incarnation}`; // the unknown request may still be applied: a new client from here
      client = newClient(id);
    }
    history.push(record);
    await sleep(5 + Math.floor(rnd() * 30));
  }
}
// #endregion clients

// #region check
function report(history: KvOperation[], file: string): number {
  const result = checkHistory(history, { timeoutMs: 120_000 });
  const returned = history.filter((h) => h.return !== null && h.error === undefined).length;
  const refused = history.filter((h) => h.error !== undefined).length;
  const unknown = history.filter((h) => h.return === null).length;
  say(`history: ${history.length} operations in ${file} (${returned} answered, ${refused} refused, ${unknown} with unknown outcome)`);
  if (result.verdict === 'linearizable') {
    say('verdict: LINEARIZABLE — one order of all operations, consistent with real time, explains every answer');
    return 0;
  }
  if (result.verdict === 'unknown') {
    say('verdict: UNKNOWN — the checker ran out of its search budget before deciding (no verdict is not a pass)');
    say(`  ${result.reason}`);
    say('  try a shorter --duration, fewer --clients or more --keys (fewer concurrent operations per key)');
    return 3;
  }
  say('verdict: NOT LINEARIZABLE');
  for (const line of result.reason.split('\n')) say(`  ${line}`);
  return 1;
}
// #endregion check

const t0 = performance.now();
function say(text: string): void {
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${text}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describeFault(f: Fault, node?: string | null): string {
  switch (f.kind) {
    case 'kill':
      return `kill -9 ${node ?? '(no node)'}${f.node === 'leader' ? ' (the leader)' : ''}`;
    case 'restart':
      return `restart ${node ?? '(none down)'} on its disk`;
    case 'partition':
      return `partition`;
    case 'heal':
      return 'heal the network';
    case 'restart-all':
      return 'restart every dead node (calm until the end)';
  }
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if ('help' in parsed) {
    console.log(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    console.error(parsed.error);
    console.error(USAGE);
    return 2;
  }
  if ('check' in parsed) {
    let text: string;
    try {
      text = fs.readFileSync(parsed.check, 'utf8');
    } catch (err) {
      console.error(`cannot read ${parsed.check}: ${(err as Error).message}`);
      return 2;
    }
    let history: KvOperation[];
    try {
      history = parseHistory(text, parsed.check);
    } catch (err) {
      say(`not a valid history: ${(err as Error).message}`);
      return 1;
    }
    return report(history, parsed.check);
  }
  const o = parsed.options;
  const rerun = `npm run chaos:raft -- --seed ${o.seed} --out ${o.outArg} --duration ${o.duration} --clients ${o.clients} --keys ${o.keys}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-chaos-'));
  const base = await freeBase();
  const cluster = new Cluster(raftTopology(base), dir);
  let stopped = false;
  const stop = async (why: string, code: number) => {
    if (stopped) return;
    stopped = true;
    say(`${why}: stopping the nodes`);
    await cluster.stopAll();
    if (o.keep) say(`kept the nodes' data and logs in ${dir} (--keep); no history was written`);
    else {
      fs.rmSync(dir, { recursive: true, force: true });
      say(`removed the nodes' data and logs (${dir}); no history was written (--keep keeps them)`);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('Ctrl-C', 130));
  process.on('SIGTERM', () => void stop('SIGTERM', 130));
  process.on('exit', () => {
    for (const c of cluster.children.values()) c.kill('SIGKILL');
  });

  const faults = schedule(o.seed, o.duration * 1000);
  say(`seed ${o.seed}: five Raft nodes on 127.0.0.1:${base + 1}-${base + 5}, data and logs in ${dir}`);
  say(`${o.clients} clients (exactly-once: client id + seq), put/get/delete/cas on ${o.keys} keys for ${o.duration} s; ${faults.length} faults scheduled from the seed`);
  say(`this takes about ${o.duration + 15} s: starting the nodes, ${o.duration} s of clients and faults, then checking the history (Ctrl-C stops it)`);
  for (const n of NODE_NAMES) cluster.start(n);
  const up = await Promise.all(NODE_NAMES.map((n) => cluster.waitUp(n)));
  if (!up.every(Boolean)) {
    say(`not every node started (see ${dir}/<node>.log): ${NODE_NAMES.filter((_, i) => !up[i]).join(', ')}`);
    await cluster.stopAll();
    return 1;
  }
  say('all five nodes answer; clients start');

  const history: KvOperation[] = [];
  const counts: Counts = { ok: 0, refused: 0, unknown: 0, retries: 0 };
  const start = performance.now();
  const clock = () => Math.round((performance.now() - start) * 1000) / 1000;
  const until = o.duration * 1000;
  const clients = Array.from({ length: o.clients }, (_, i) => runClient(i + 1, o, cluster, clock, until, history, counts));
  const rnd = mulberry32(o.seed ^ 0x5eed);

  const chaos = (async () => {
    for (const f of faults) {
      await sleep(Math.max(0, f.at - clock()));
      if (f.kind === 'kill') {
        const alive = NODE_NAMES.filter((n) => cluster.children.has(n));
        const name = f.node === 'leader' ? ((await cluster.leader()) ?? alive[0]) : cluster.children.has(f.node) ? f.node : alive[0];
        if (name === undefined) continue;
        const pid = cluster.children.get(name)?.pid;
        await cluster.kill(name);
        say(`${describeFault(f, name)} (pid ${pid})`);
      } else if (f.kind === 'restart' || f.kind === 'restart-all') {
        const names = f.kind === 'restart' ? cluster.downOrder.slice(0, 1) : NODE_NAMES.filter((n) => !cluster.children.has(n));
        for (const n of names) cluster.start(n);
        say(f.kind === 'restart' ? describeFault(f, names[0] ?? null) : `${describeFault(f)}: ${names.join(', ') || 'none was down'}`);
        await Promise.all(names.map(async (n) => (await cluster.waitUp(n)) && cluster.applyBlocks(n)));
      } else if (f.kind === 'partition') {
        // The small side: `cut` nodes, the leader among them if asked (and there is one), the rest by the seed.
        const leader = f.withLeader ? await cluster.leader() : null;
        const others = [...NODE_NAMES].filter((n) => n !== leader).sort(() => rnd() - 0.5);
        const small = [...(leader ? [leader] : []), ...others].slice(0, f.cut).sort();
        cluster.sides = [small, NODE_NAMES.filter((n) => !small.includes(n))];
        await cluster.applyBlocks();
        say(`partition ${cluster.sides.map((s) => s.join(',')).join(' | ')}${leader ? ` (the leader ${leader} on the small side)` : ''}`);
      } else {
        cluster.sides = null;
        await cluster.applyBlocks();
        say(describeFault(f));
      }
    }
  })();
  const progress = setInterval(() => {
    const down = NODE_NAMES.filter((n) => !cluster.children.has(n));
    say(`${history.length} operations: ${counts.ok} answered, ${counts.refused} refused, ${counts.unknown} unknown (${counts.retries} retries); down: ${down.join(',') || 'none'}; network: ${cluster.sides ? cluster.sides.map((s) => s.join(',')).join(' | ') : 'whole'}`);
  }, 5_000);
  await Promise.all([chaos, ...clients]);
  clearInterval(progress);
  await cluster.stopAll();
  say(`clients done; all nodes stopped`);

  history.sort((a, b) => a.call - b.call);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const text = formatHistory(history);
  fs.writeFileSync(o.out, text);
  parseHistory(text, o.out); // the file must be valid in the documented format; throws naming the line if not
  const code = report(history, o.out);
  say(`in ${o.outArg}, "call" and "return" are milliseconds since the clients started (one clock for every operation)`);
  if (code === 0 && !o.keep) fs.rmSync(dir, { recursive: true, force: true });
  else say(`kept the nodes' data and logs in ${dir}`);
  say(`re-run this experiment: ${rerun}`);
  return code;
}

// Run as a command (not when a test imports parseArgs or schedule).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
