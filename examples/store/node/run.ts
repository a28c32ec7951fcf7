// `npm run example:store`: the replicated store on your machine. Five nodes, n1..n5, on 127.0.0.1:7101-7105
// (the list lives in topology.ts), their output side by side, and a live view of the ring, the replica sets'
// leaders and terms, the keys per node and which nodes are up, down or cut off. You drive it by typing at its
// prompt (`kill n3`, `partition n1,n2 | n3,n4,n5`, `put k v eventual`, ...) or from a second terminal with
// `npm run store -- <command>` (cli.ts); both are printed at start.
//
// Data: each node keeps its disk in DATA_DIR/<node> (DATA_DIR = examples/store/.data by default, ignored by
// git). A run starts from empty disks unless KEEP_DATA=1, which restarts the cluster on what the last run
// stored (try it: write, Ctrl-C, KEEP_DATA=1 npm run example:store, read). A node you kill and restart keeps
// its disk within a run: that is the durability promise.
//
// Before it starts anything, the runner takes DATA_DIR's lock (examples/queue/node/lock.ts: a second run on
// the same directory stops at once, naming the first) and checks that its six ports are free (the runner's
// control port 7100, used by `npm run store -- kill|stop|restart`, and the nodes' 7101-7105). If anything is
// taken it says which and exits 1, having started and deleted nothing.
//
// Environment (all optional):
//   DATA_DIR=examples/store/.data   where the nodes keep their disks (one subdirectory each)
//   KEEP_DATA=1                     start on the previous run's disks instead of empty ones
//   STORE_BASE_PORT=7100            control port; node i listens on STORE_BASE_PORT + i
//   STORE_*                         anything else (say, a node timing) is passed to every node unchanged
//   STORE_SERVER_SCRIPT=<file.ts>   run another node program with the same environment and HTTP API (your own
//                                   implementation, say); default examples/store/node/server.ts
//
// Everything is started as `node --import tsx <script>` with the Node that runs this file: no shell, the same
// on Linux, macOS and Windows. Ctrl-C stops every node (SIGTERM, then SIGKILL after a grace period). Each node
// also has an IPC channel to the runner: if the runner dies without stopping them (kill -9), the channel
// closes and every node shuts itself down, so no node is left holding its port. A node you restart while the
// network is cut is told the cut again (the nodes that block it, it blocks).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, liveOwner, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { HELP, parseCommand, runCommand, setBlocks, splitWords, type Command } from './run-commands.ts';
import { http as request } from './run-http.ts';
import { Screen } from './run-screen.ts';
import { BASE_PORT, NODE_NAMES, storeTopology, type StoreNodeSpec } from './topology.ts';
import { renderView, summaryLine, type NodeSnapshot, type StatusView } from './view.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = path.resolve(process.env.DATA_DIR || path.join(repoRoot, 'examples', 'store', '.data'));
const basePort = Number(process.env.STORE_BASE_PORT || BASE_PORT);
const nodes = storeTopology(basePort).map((n) => (process.env.STORE_SERVER_SCRIPT ? { ...n, script: process.env.STORE_SERVER_SCRIPT } : n));
const urls = Object.fromEntries(nodes.map((n) => [n.name, `http://127.0.0.1:${n.port}`]));
const STOP_GRACE_MS = 5_000;
const VIEW_EVERY_MS = 500;
const SUMMARY_EVERY_MS = Number(process.env.STORE_SUMMARY_EVERY_MS || 5_000);

const screen = new Screen(Math.max(...nodes.map((n) => n.name.length), 'runner'.length));
const say = (text: string) => screen.line('runner', text);

interface Running {
  spec: StoreNodeSpec;
  colour: number;
  child?: ChildProcess;
  /** Why it is not running: 'killed', 'stopped', 'exited 1', 'killed (SIGKILL) from outside'... */
  stopped?: string;
  /** Set just before the runner itself signals it, so the exit is described as what it was. */
  expecting?: 'killed' | 'stopped';
  /** Its /status answered at least once since it was started. */
  answered: boolean;
}

const running = new Map<string, Running>(nodes.map((spec, i) => [spec.name, { spec, colour: i, answered: false }]));
let starting = true; // until every node has answered once; a node that exits meanwhile stops the run
let stopping = false;
let lock: DataDirLock | undefined;
let control: http.Server | undefined;
let lastStatus: NodeSnapshot[] = [];

/** The node's environment: the topology's, its own data directory, and whatever STORE_* the user set. */
function envFor(spec: StoreNodeSpec): NodeJS.ProcessEnv {
  return { ...process.env, ...spec.env, STORE_DATA_DIR: path.join(dataDir, spec.name) };
}

// #region spawn
function start(r: Running): void {
  const child = spawn(process.execPath, ['--import', 'tsx', r.spec.script], {
    cwd: repoRoot,
    env: envFor(r.spec),
    // The 'ipc' channel is how a node knows the runner is alive: when the runner dies, even by kill -9, the
    // channel closes, and server.ts shuts down (it listens for 'disconnect'). No node outlives its runner.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Each node in its own process group: Ctrl-C reaches only the runner, which stops the nodes itself.
    detached: process.platform !== 'win32',
  });
  Object.assign(r, { child, stopped: undefined, expecting: undefined, answered: false });
  for (const stream of [child.stdout!, child.stderr!]) onLines(stream, (line) => screen.line(r.spec.name, line, r.colour));
  child.on('exit', (code, signal) => onExit(r, child, code, signal));
  say(`${r.spec.name} started, pid ${child.pid}, port ${r.spec.port}, data ${path.join(dataDir, r.spec.name)}`);
}
// #endregion spawn

function onExit(r: Running, child: ChildProcess, code: number | null, signal: string | null): void {
  if (r.child !== child) return;
  r.child = undefined;
  const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
  r.stopped = r.expecting ?? (signal !== null ? `killed ${signal === 'SIGKILL' ? '-9' : signal}` : `exited ${code}`);
  if (stopping) return;
  if (starting && r.expecting === undefined) {
    say(`${r.spec.name} ${how} before it answered (its own message above says why)`);
    void stopAll(`${r.spec.name} did not start`, 1);
    return;
  }
  if (r.expecting === undefined) say(`${r.spec.name} ${how}. It stays down until you type: restart ${r.spec.name}`);
  else say(`${r.spec.name} ${r.expecting === 'killed' ? 'killed (SIGKILL: a crash, nothing flushed)' : 'stopped (SIGTERM)'}. Start it again with: restart ${r.spec.name}`);
}

async function signalNode(r: Running, kind: 'killed' | 'stopped'): Promise<void> {
  const child = r.child;
  if (child === undefined) return;
  r.expecting = kind;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(kind === 'killed' ? 'SIGKILL' : 'SIGTERM'); // on Windows both end the process at once
  const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
}

// #region stop-all
async function stopAll(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  screen.freeze();
  restoreTerminal();
  say(`${reason}: stopping all nodes`);
  await Promise.all([...running.values()].map((r) => signalNode(r, 'stopped')));
  control?.close();
  lock?.release();
  say('all nodes stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll('Ctrl-C', 0));
process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
process.on('SIGHUP', () => void stopAll('terminal closed', 0));
// Last resort if the runner itself crashes: no node may outlive it.
process.on('exit', () => {
  restoreTerminal();
  for (const r of running.values()) r.child?.kill('SIGKILL');
});
// #endregion stop-all

// #region preflight
/**
 * Before anything starts: DATA_DIR's lock (no other runner on it), and six free ports. Only while we hold the
 * lock may we delete the previous run's disks. Exits 1 naming what is taken, having started and deleted
 * nothing. The lock is held until the runner exits.
 */
async function preflight(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const refuse = (problems: string[], advice: string): never => {
    for (const p of problems) say(p);
    say(`Nothing was started or deleted. ${advice}`);
    process.exit(1);
  };
  lock = await lockDataDir(dataDir, { role: 'store runner', print: say }).catch((err: unknown) => {
    if (err instanceof DataDirInUseError) refuse([err.message], 'Two runs at once need different DATA_DIRs and STORE_BASE_PORTs.');
    throw err;
  });
  const ports: [number, string][] = [[basePort, "the runner's control port"], ...nodes.map((n): [number, string] => [n.port, `node ${n.name}`])];
  const taken: string[] = [];
  const busy: number[] = [];
  for (const [port, what] of ports) {
    if (await portInUse('127.0.0.1', port)) {
      busy.push(port);
      taken.push(`port ${port} (${what}) is already in use on 127.0.0.1: another program is listening there (an earlier run? the Docker setup?)`);
    }
  }
  if (taken.length > 0) {
    lock.release();
    const leftovers = busy.includes(basePort) ? [] : await leftoverNodes(busy);
    if (leftovers.length > 0) {
      const pids = leftovers.map((l) => l.pid).filter((p): p is number => p !== undefined);
      const lines = leftovers.map((l) => `port ${l.port} (node ${l.name}) is held by store node ${l.name}${l.pid !== undefined ? ` (pid ${l.pid})` : ''}, left running by an earlier run whose runner is gone (killed with kill -9?)`);
      const how =
        pids.length === leftovers.length
          ? `Stop the left-over nodes: kill ${pids.join(' ')} (Linux/macOS) or taskkill /F ${pids.map((p) => `/PID ${p}`).join(' ')} (Windows)`
          : `Stop the left-over nodes: find them with lsof -i :${leftovers[0]!.port} (Linux/macOS) or netstat -ano | findstr :${leftovers[0]!.port} (Windows), and kill them`;
      refuse([...taken.filter((_, i) => !leftovers.some((l) => l.port === busy[i])), ...lines], `${how}; or use other ports: STORE_BASE_PORT=${basePort + 100} npm run example:store`);
    }
    refuse(taken, `Stop that program, or use other ports: STORE_BASE_PORT=${basePort + 100} npm run example:store`);
  }
  if (process.env.KEEP_DATA === '1') {
    say(`KEEP_DATA=1: the nodes start on what the last run stored in ${dataDir}`);
  } else {
    const removed = nodes.map((n) => path.join(dataDir, n.name)).filter((dir) => fs.existsSync(dir));
    for (const dir of removed) fs.rmSync(dir, { recursive: true, force: true });
    if (removed.length > 0) say(`starting from empty disks (removed the previous run's ${removed.map((d) => path.basename(d)).join(', ')} in ${dataDir}; KEEP_DATA=1 keeps them)`);
  }
}

/**
 * Taken node ports that answer GET /status as our store node of that name, while no runner holds the control
 * port: nodes an earlier run left behind (their runner was killed with kill -9 before nodes could notice). The
 * pid is the one in the node's data-directory lock, when it is this DATA_DIR.
 */
async function leftoverNodes(busy: number[]): Promise<{ name: string; port: number; pid?: number }[]> {
  const found: { name: string; port: number; pid?: number }[] = [];
  for (const spec of nodes) {
    if (!busy.includes(spec.port)) continue;
    const answer = await request('GET', `${urls[spec.name]}/status`, undefined, 1_000).catch(() => undefined);
    if (answer?.status !== 200 || (answer.body as { node?: unknown }).node !== spec.name) continue;
    const owner = await liveOwner(path.join(dataDir, spec.name)).catch(() => null);
    found.push({ name: spec.name, port: spec.port, pid: owner?.pid });
  }
  return found;
}

/** Whether something already listens on host:port. We try to listen there ourselves, for a moment. */
function portInUse(onHost: string, onPort: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
    probe.listen(onPort, onHost, () => probe.close(() => resolve(false)));
  });
}
// #endregion preflight

// #region commands
/** Runs one command, from the prompt or from `npm run store` (via the control port); returns what to print. */
async function execute(words: string[]): Promise<{ ok: boolean; lines: string[] }> {
  const cmd: Command | { error: string } = parseCommand(words, NODE_NAMES);
  if ('error' in cmd) return { ok: false, lines: [cmd.error, 'type help for the list of commands'] };
  switch (cmd.kind) {
    case 'kill':
    case 'stop': {
      const r = running.get(cmd.node)!;
      if (r.child === undefined) return { ok: false, lines: [`${cmd.node} is not running (${r.stopped}); restart ${cmd.node} starts it`] };
      const pid = r.child.pid;
      await signalNode(r, cmd.kind === 'kill' ? 'killed' : 'stopped');
      return { ok: true, lines: [`${cmd.node} (pid ${pid}) ${cmd.kind === 'kill' ? 'killed with SIGKILL' : 'stopped'}`] };
    }
    case 'restart': {
      const r = running.get(cmd.node)!;
      if (r.child !== undefined) await signalNode(r, 'stopped');
      // A node keeps its blocks in memory only: it comes back talking to everyone. The nodes that cut it off
      // still block it; it is told to block them again, so the cut holds both ways and the view stays true.
      const cutBy = await blockedBy(cmd.node);
      start(r);
      const lines = [`${cmd.node} restarted as pid ${r.child?.pid} on the same disk (${path.join(dataDir, cmd.node)})`];
      if (cutBy.length > 0) lines.push(await reapplyCut(r, cutBy));
      return { ok: true, lines };
    }
    case 'status':
      return { ok: true, lines: renderView(lastStatus, { members: NODE_NAMES }) };
    case 'help':
      return { ok: true, lines: HELP };
    default:
      return runCommand(cmd, { urls });
  }
}

/** The running nodes that block `name` (a partition it is on the other side of), as they say in GET /status. */
async function blockedBy(name: string): Promise<string[]> {
  const others = nodes.filter((n) => n.name !== name && running.get(n.name)!.child !== undefined);
  const blocking = await Promise.all(
    others.map(async (n) => {
      const answer = await request('GET', `${urls[n.name]}/status`, undefined, 2_000).catch(() => undefined);
      const blocked = (answer?.status === 200 ? (answer.body as StatusView).blocked : undefined) ?? [];
      return blocked.includes(name) ? n.name : undefined;
    }),
  );
  return blocking.filter((n): n is string => n !== undefined).sort();
}

/** Once the restarted node answers, tells it to block the nodes that block it. */
async function reapplyCut(r: Running, peers: string[]): Promise<string> {
  const name = r.spec.name;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && r.child !== undefined) {
    const up = await request('GET', `${urls[name]}/status`, undefined, 1_000).then((a) => a.status === 200, () => false);
    if (up) {
      const others = NODE_NAMES.filter((n) => n !== name && !peers.includes(n));
      const result = await setBlocks(urls[name]!, peers, others);
      if (result.ok) return `${name}: drops traffic to and from ${peers.join(', ')} again (the partition: they block ${name})`;
      return `${name}: could not be told the partition (${result.error}); type the partition again`;
    }
    await sleep(200);
  }
  return `${name} did not answer within 20 s, so it does not know the partition yet (${peers.join(', ')} block it); type the partition again once it is up`;
}

/** `npm run store -- kill n3` from another terminal: POST /control { words } on the control port, loopback only. */
function startControl(): Promise<void> {
  control = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c.length + body.length > 10_000 ? '' : c));
    req.on('end', async () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== 'POST' || req.url !== '/control') return reply(404, { lines: ['POST /control { "words": ["kill", "n3"] }'] });
      let words: unknown;
      try {
        words = (JSON.parse(body) as { words?: unknown }).words;
      } catch {
        return reply(400, { lines: ['the body must be JSON: { "words": [...] }'] });
      }
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) return reply(400, { lines: ['"words" must be a list of strings'] });
      say(`from npm run store: ${words.join(' ')}`);
      const result = await execute(words);
      for (const line of result.lines) say(`  ${line}`);
      reply(result.ok ? 200 : 400, result);
    });
  });
  return new Promise((resolve, reject) => {
    control!.once('error', reject);
    control!.listen(basePort, '127.0.0.1', () => resolve());
  });
}

let typing = Promise.resolve();
/** Lines typed at the runner: raw keys on a terminal (so the prompt stays under the view), lines from a pipe. */
function readInput(): void {
  const submit = (line: string) => {
    const words = splitWords(line);
    if (words.length === 0) return;
    typing = typing.then(async () => {
      say(`> ${line.trim()}`);
      const result = await execute(words);
      for (const l of result.lines) say(`  ${l}`);
    });
  };
  if (process.stdin.isTTY && screen.tty) {
    let buffer = '';
    process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      if (chunk.startsWith('\x1b')) return; // arrows and other escape sequences: not supported
      for (const ch of chunk) {
        if (ch === '\x03') return void stopAll('Ctrl-C', 0); // raw mode: Ctrl-C arrives as a character
        if (ch === '\r' || ch === '\n') {
          submit(buffer);
          buffer = '';
        } else if (ch === '\x7f' || ch === '\b') buffer = buffer.slice(0, -1);
        else if (ch === '\x15') buffer = ''; // Ctrl-U
        else if (ch >= ' ') buffer += ch;
      }
      screen.setInput(buffer);
    });
    process.stdin.resume();
  } else if (!process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on('line', submit);
    rl.on('error', () => {});
  }
}

function restoreTerminal(): void {
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
  process.stdin.pause();
}
// #endregion commands

function printHowToPlay(): void {
  const n1 = urls.n1!;
  const n4 = urls.n4!;
  const moved =
    basePort === BASE_PORT
      ? []
      : [
          `The ports are moved (STORE_BASE_PORT=${basePort}): in that second terminal set it first, or npm run store talks to ${BASE_PORT + 1}-${BASE_PORT + 5}:`,
          `  Linux/macOS: export STORE_BASE_PORT=${basePort}    PowerShell: $env:STORE_BASE_PORT=${basePort}    cmd.exe: set STORE_BASE_PORT=${basePort}`,
        ];
  const lines = [
    '--------------------------------------------------------------------------------',
    'Five nodes are up. Try these in a second terminal (npm run store is the same on Linux, macOS and Windows):',
    ...moved,
    '  npm run store -- put greeting hello                      strong write: a majority of the key\'s 3 replicas stores it',
    '  npm run store -- get greeting                            strong read, from the key\'s leader',
    '  npm run store -- cas greeting hello bonjour              compare-and-set (strong only)',
    '  npm run store -- put cart milk --consistency eventual --node n4     eventual: any replica of the key takes it',
    '  npm run store -- get cart --consistency eventual --node n2          ...and reconciles with the others later',
    '  npm run store -- kill n3        (crash: SIGKILL)   npm run store -- stop n3   npm run store -- restart n3',
    '  npm run store -- partition n1,n2 n3,n4,n5                cut the network (admin block on every node)',
    '  npm run store -- heal                                    ...and mend it',
    '  npm run store -- block n1 n4,n5                          the admin API itself: n1 drops traffic to/from n4, n5',
    '  npm run store -- status                                  the view below, once',
    'With curl (Linux/macOS shells):',
    `  curl -X PUT -H 'content-type: application/json' -d '{"value":"hello"}' '${n1}/kv/greeting?consistency=strong'`,
    `  curl -X PUT -H 'content-type: application/json' -d '{"value":"milk"}' '${n4}/kv/cart?consistency=eventual'`,
    `  curl '${n4}/kv/cart?consistency=eventual'`,
    `  curl -X POST -H 'content-type: application/json' -d '{"peers":["n4","n5"]}' ${n1}/admin/block`,
    `  curl -X POST ${n1}/admin/heal          curl ${n1}/status`,
    'With curl on Windows (cmd.exe or PowerShell: curl.exe, double quotes, inner quotes as \\"):',
    `  curl.exe -X PUT -H "content-type: application/json" -d "{\\"value\\":\\"hello\\"}" "${n1}/kv/greeting?consistency=strong"`,
    `A crash by hand: kill -9 <pid> (Linux/macOS) or taskkill /F /PID <pid> (Windows), pids above; the node stays down until "restart".`,
    'Or type the same commands here, at the prompt under the view: put k v eventual, get k, kill n3, restart n3,',
    '  partition n1,n2 | n3,n4,n5, heal, help.   Ctrl-C stops all five nodes.',
    '--------------------------------------------------------------------------------',
  ];
  for (const line of lines) say(line);
}

// #region view
async function snapshot(): Promise<NodeSnapshot[]> {
  return Promise.all(
    nodes.map(async (spec) => {
      const r = running.get(spec.name)!;
      const status = await request('GET', `${urls[spec.name]}/status`, undefined, 400).then(
        (a) => (a.status === 200 ? (a.body as StatusView) : { error: `status ${a.status}` }),
        (e: Error) => ({ error: e.message }),
      );
      if (!('error' in status)) r.answered = true;
      return { name: spec.name, port: spec.port, process: r.child?.pid !== undefined ? { pid: r.child.pid } : { stopped: r.stopped ?? 'not started' }, status };
    }),
  );
}

async function watch(): Promise<void> {
  let lastSummary = 0;
  for (;;) {
    if (stopping) return;
    const started = Date.now();
    lastStatus = await snapshot();
    if (stopping) return;
    if (screen.tty) {
      const rows = process.stdout.rows || 24;
      const view = renderView(lastStatus, { members: NODE_NAMES, groups: rows >= 22 });
      screen.setView([...view, '', `data ${dataDir}   type help, or Ctrl-C to stop everything`]);
    } else if (Date.now() - lastSummary >= SUMMARY_EVERY_MS) {
      lastSummary = Date.now();
      screen.line('view', summaryLine(lastStatus));
    }
    await sleep(Math.max(50, VIEW_EVERY_MS - (Date.now() - started)));
  }
}
// #endregion view

async function main(): Promise<void> {
  await preflight();
  await startControl();
  for (const r of running.values()) start(r);
  // Ready when every node has answered GET /status once (a node that exits first stops the run: onExit).
  const deadline = Date.now() + 60_000;
  while (![...running.values()].every((r) => r.answered)) {
    if (stopping) return;
    if (Date.now() > deadline) {
      const silent = [...running.values()].filter((r) => !r.answered).map((r) => r.spec.name);
      return stopAll(`${silent.join(', ')} did not answer GET /status within 60 s`, 1);
    }
    lastStatus = await snapshot();
    await sleep(200);
  }
  starting = false;
  say('all five nodes answer GET /status');
  printHowToPlay();
  readInput();
  await watch();
}

function onLines(stream: NodeJS.ReadableStream, listener: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split(/\r?\n/);
    rest = parts.pop() ?? '';
    for (const part of parts) listener(part);
  });
  stream.on('end', () => {
    if (rest !== '') listener(rest);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((err) => {
  say(`runner failed: ${err instanceof Error ? err.message : err}`);
  void stopAll('error', 1);
});
