// `npm run chaos:store -- --seed N --out history.jsonl [--duration 30]`: the store against real trouble.
//
// It starts five real store nodes (server.ts, the topology of topology.ts on free ports, each with its own
// disk in a temporary directory), runs a few clients that do strong put/get/delete/cas on a few keys through
// random nodes, and meanwhile follows a schedule made from the seed: kill -9 a node, start it again on its
// disk, cut the network into two sides (POST /admin/block on every node), heal it. Every client operation is
// written down with when it was called and when it returned (one clock), in the JSONL format of
// tests/helpers/kv-history.ts, and at the end the history is checked by tests/helpers/linearizability.ts:
// is there one order of all the operations, consistent with real time, in which every answer is right?
//
// What each answer becomes in the history:
//   200                      the operation happened; a get's value (or null on 404), a cas's true
//   409 (cas)                the cas definitely did not swap: output false
//   400, 503                 definitely refused, nothing applied: "error" (not counted as applied)
//   connection refused       nothing was sent: "error"
//   504, timeout, connection dropped after sending, any other status
//                            outcome unknown: "return": null (it may have been applied, even later)
// A client whose operation ended unknown continues under a new name ("c2", then "c2.1"): a client is one
// sequence of operations, and the unknown one may still be in flight.
//
// The seed fixes the fault schedule (what happens when, to which node) and what each client asks; the
// exact interleaving of real processes is not reproducible, so a re-run with the same seed is the same
// experiment, not the same history. `--check history.jsonl` only checks an existing file.
//
// Exit status: 0 linearizable, 1 not linearizable (or the run itself failed), 2 bad arguments, 3 the checker
// ran out of its search budget (no verdict; try a shorter --duration or fewer --clients).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../../shared/random.ts';
import { checkHistory } from '../../../tests/helpers/linearizability.ts';
import { formatHistory, parseHistory, type KvOperation } from '../../../tests/helpers/kv-history.ts';
import { blocksFor } from './run-commands.ts';
import { http, NoAnswer } from './run-http.ts';
import { NODE_NAMES, storeTopology, type StoreNodeSpec } from './topology.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const USAGE = `usage: npm run chaos:store -- --seed N --out history.jsonl [--duration 30] [--clients 4] [--keys 3] [--keep]
       npm run chaos:store -- --check history.jsonl
  --seed N        the fault schedule and the clients' choices (a whole number)
  --out FILE      where to write the history (JSONL, one operation per line)
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
  if (values.check !== undefined) return Object.keys(values).length === 1 ? { check: values.check } : { error: '--check takes no other option' };
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
export type Fault =
  | { at: number; kind: 'kill'; node: string }
  | { at: number; kind: 'restart'; node: string }
  | { at: number; kind: 'partition'; sides: string[][] }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'restart-all' };

/**
 * The faults, from the seed alone: every 2-5 s one of kill -9 (at most two nodes down at once), restart a
 * dead node, partition (one or two nodes cut off from the rest), heal. The last quarter is calm: everything
 * healed and restarted, so the run ends with a cluster that works and clients that finish.
 */
export function schedule(seed: number, durationMs: number, nodes: readonly string[] = NODE_NAMES): Fault[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const faults: Fault[] = [];
  const down = new Set<string>();
  let partitioned = false;
  const calmAt = Math.round(durationMs * 0.75);
  for (let at = 2000 + Math.round(rnd() * 2000); at < calmAt; at += 2000 + Math.round(rnd() * 3000)) {
    const options: string[] = [];
    if (down.size < 2) options.push('kill', 'kill');
    if (down.size > 0) options.push('restart', 'restart');
    options.push(partitioned ? 'heal' : 'partition');
    const kind = pick(options);
    if (kind === 'kill') {
      const node = pick(nodes.filter((n) => !down.has(n)));
      down.add(node);
      faults.push({ at, kind, node });
    } else if (kind === 'restart') {
      const node = pick([...down].sort());
      down.delete(node);
      faults.push({ at, kind, node });
    } else if (kind === 'partition') {
      const shuffled = [...nodes].sort(() => rnd() - 0.5);
      const cut = 1 + Math.floor(rnd() * 2);
      faults.push({ at, kind, sides: [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()] });
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

function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'kill':
      return `kill -9 ${f.node}`;
    case 'restart':
      return `restart ${f.node} on its disk`;
    case 'partition':
      return `partition ${f.sides.map((s) => s.join(',')).join(' | ')}`;
    case 'heal':
      return 'heal the network';
    case 'restart-all':
      return 'restart every dead node (calm until the end)';
  }
}

// #region cluster
class Cluster {
  readonly children = new Map<string, ChildProcess>();
  sides: string[][] | null = null;
  constructor(
    readonly specs: StoreNodeSpec[],
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
      env: { ...process.env, ...spec.env, STORE_DATA_DIR: path.join(this.dir, name) },
      stdio: ['ignore', log, log, 'ipc'], // the IPC channel: a node whose chaos run dies (kill -9) stops too
      detached: process.platform !== 'win32', // our Ctrl-C handler stops them, not the terminal
    });
    fs.closeSync(log);
    this.children.set(name, child);
    child.on('exit', () => {
      if (this.children.get(name) === child) this.children.delete(name);
    });
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  /** A restarted node forgets its blocks (they are not on disk): tell it the current cut again. */
  async applyBlocks(only?: string): Promise<void> {
    const blocks = this.sides ? blocksFor(this.sides) : Object.fromEntries(this.specs.map((s) => [s.name, [] as string[]]));
    await Promise.all(
      Object.entries(blocks)
        .filter(([name]) => (only === undefined || name === only) && this.children.has(name))
        .map(async ([name, peers]) => {
          try {
            await http('POST', `${this.url(name)}/admin/heal`, {}, 2_000);
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

/** Six consecutive free ports (control port unused here, nodes on base+1..base+5), tried from a random base. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
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
}

/** One client: strong operations on the shared keys through random nodes, each one recorded. */
async function runClient(index: number, o: Options, cluster: Cluster, clock: () => number, until: number, history: KvOperation[], counts: Counts): Promise<void> {
  const rnd = mulberry32((o.seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const seen: Record<string, string | null> = {}; // the last value this client saw per key
  let name = `c${index}`;
  let incarnation = 0;
  let n = 0;
  while (clock() < until) {
    const key = pick(keys);
    const node = pick(NODE_NAMES);
    const r = rnd();
    const op: KvOperation['op'] = r < 0.35 ? 'put' : r < 0.65 ? 'get' : r < 0.75 ? 'delete' : 'cas';
    const value = `${name}-${++n}`;
    // Extra fields (node, note) are allowed by the format and ignored by the checker; they help a reader.
    const record: KvOperation & { node?: string; note?: string } = { client: name, op, key, call: 0, return: null };
    if (op === 'put' || op === 'cas') record.value = value;
    if (op === 'cas') record.expected = rnd() < 0.2 ? null : (seen[key] ?? null);
    const base = `${cluster.url(node)}/kv/${key}`;
    const [method, url, body] =
      op === 'put' ? ['PUT', `${base}?consistency=strong`, { value }] : op === 'get' ? ['GET', `${base}?consistency=strong`, undefined] : op === 'delete' ? ['DELETE', `${base}?consistency=strong`, undefined] : ['POST', `${base}/cas`, { expected: record.expected, value }];
    record.call = clock();
    let unknown = false;
    try {
      const answer = await http(method, url, body, 6_000);
      const at = clock();
      const b = answer.body ?? {};
      if (answer.status === 200) {
        record.return = at;
        if (op === 'get') {
          const values = (b.values ?? []) as string[];
          // A strong read has one value. Siblings here would be a bug; written as the list they cannot match any write.
          record.output = values.length === 1 ? values[0]! : values.length === 0 ? null : `siblings:${JSON.stringify(values)}`;
        } else record.output = op === 'cas' ? true : 'ok';
      } else if (answer.status === 404 && op === 'get') {
        Object.assign(record, { return: at, output: null });
      } else if (answer.status === 409 && op === 'cas') {
        Object.assign(record, { return: at, output: false });
      } else if (answer.status === 400 || answer.status === 503) {
        Object.assign(record, { return: at, error: clip(`${answer.status} ${b.reason ?? ''} ${String(b.error ?? '')}`, 200) });
      } else {
        unknown = true; // 504, or anything the contract does not promise "not applied" for
        record.note = clip(`${answer.status} ${String(b.error ?? '')}`, 200);
      }
    } catch (err) {
      if (err instanceof NoAnswer && err.kind === 'refused') Object.assign(record, { return: clock(), error: 'connection refused (nothing sent)' });
      else {
        unknown = true;
        record.note = clip(err instanceof Error ? err.message : String(err), 200);
      }
    }
    record.node = node;
    if (unknown) {
      record.return = null;
      delete record.output;
      counts.unknown++;
      name = `c${index}.${++incarnation}`; // the unknown operation may still be in flight
    } else if (record.error !== undefined) counts.refused++;
    else {
      counts.ok++;
      if (op === 'get') seen[key] = record.output as string | null;
      else if (op === 'put' || (op === 'cas' && record.output === true)) seen[key] = value;
      else if (op === 'delete') seen[key] = null;
    }
    history.push(record);
    await sleep(5 + Math.floor(rnd() * 40));
  }
}
// #endregion clients

/**
 * Shortens a message for the history file: whitespace folded, and if still longer than `max`, cut at the last
 * space before it and marked " [...]" (never in the middle of a word or a node name).
 */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.lastIndexOf(' ', max);
  return `${(cut > max / 2 ? flat.slice(0, cut) : flat.slice(0, max)).replace(/[\s,;:(]+$/, '')} [...]`;
}

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
  const rerun = `npm run chaos:store -- --seed ${o.seed} --out ${o.outArg} --duration ${o.duration} --clients ${o.clients} --keys ${o.keys}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-chaos-'));
  const base = await freeBase();
  const cluster = new Cluster(storeTopology(base), dir);
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
  say(`seed ${o.seed}: five nodes on 127.0.0.1:${base + 1}-${base + 5}, data and logs in ${dir}`);
  say(`${o.clients} clients, strong put/get/delete/cas on ${o.keys} keys for ${o.duration} s; ${faults.length} faults scheduled from the seed`);
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
  const counts: Counts = { ok: 0, refused: 0, unknown: 0 };
  const start = performance.now();
  const clock = () => Math.round((performance.now() - start) * 1000) / 1000;
  const until = o.duration * 1000;
  const clients = Array.from({ length: o.clients }, (_, i) => runClient(i + 1, o, cluster, clock, until, history, counts));

  const chaos = (async () => {
    for (const f of faults) {
      await sleep(Math.max(0, f.at - clock()));
      if (f.kind === 'kill') {
        const pid = cluster.children.get(f.node)?.pid;
        await cluster.kill(f.node);
        say(`${describeFault(f)} (pid ${pid})`);
      } else if (f.kind === 'restart' || f.kind === 'restart-all') {
        const names = f.kind === 'restart' ? [f.node] : NODE_NAMES.filter((n) => !cluster.children.has(n));
        for (const n of names) cluster.start(n);
        say(`${describeFault(f)}${f.kind === 'restart-all' ? `: ${names.join(', ') || 'none was down'}` : ''}`);
        await Promise.all(names.map(async (n) => (await cluster.waitUp(n)) && cluster.applyBlocks(n)));
      } else {
        cluster.sides = f.kind === 'partition' ? f.sides : null;
        await cluster.applyBlocks();
        say(describeFault(f));
      }
    }
  })();
  const progress = setInterval(() => {
    const down = NODE_NAMES.filter((n) => !cluster.children.has(n));
    say(`${history.length} operations: ${counts.ok} answered, ${counts.refused} refused, ${counts.unknown} unknown; down: ${down.join(',') || 'none'}; network: ${cluster.sides ? cluster.sides.map((s) => s.join(',')).join(' | ') : 'whole'}`);
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

// Run as a command (not when a test imports parseArgs or clip).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
