// `npm run example:raft`: a five-node Raft key-value database on your machine. Nodes n1..n5 on
// 127.0.0.1:7401-7405 (the list lives in topology.ts), their output side by side under "[n1]" ... "[n5]", and a
// live view, redrawn about twice a second: each node's role, term, the leader it follows, its commit index,
// last applied index, last log index, snapshot index, and whether it is up, down or cut off. Under the view, a
// prompt: kill n2, restart n2, partition n1 n2 | n3 n4 n5, heal, put k v, get k, delete k, cas k old new,
// status, help, quit. Commands also work from a pipe (no terminal): one per line.
//
// Data: each node keeps its term, vote, log and snapshot in DATA_DIR/<node> (DATA_DIR = examples/raft/.data by
// default, ignored by git: where a node started by hand keeps its disk too, and where example:store keeps its). A run starts from empty disks unless KEEP_DATA=1, which restarts the cluster on what the last
// run stored. A node you kill and restart keeps its disk within a run: that is what Raft's persistence is for.
//
// Before it starts anything, the runner takes DATA_DIR's lock (examples/queue/node/lock.ts: a second run on the
// same directory stops at once, naming the first) and checks that the five ports are free; if one is taken it
// says which, suggests a base whose five ports are free, and exits 1, having started and deleted nothing.
//
// Environment (all optional):
//   DATA_DIR=examples/raft/.data   where the nodes keep their disks (one subdirectory each)
//   KEEP_DATA=1                    start on the previous run's disks instead of empty ones
//   RAFT_BASE_PORT=7400            node i listens on RAFT_BASE_PORT + i
//   RAFT_SERVER_SCRIPT=<file.ts>   run another node program with the same environment and HTTP API (your own)
//   RAFT_SNAPSHOT_EVERY=50         each node snapshots and compacts its log every 50 applied entries (the node's
//                                  own default is 1000; the runner's 50, as chaos:raft's, lets a short session
//                                  see the snap column move and a node restarted after 50 entries get an
//                                  InstallSnapshot instead of the entries; 0 = never)
//   RAFT_*                         anything else is passed to every node unchanged
//
// Every node is `node --import tsx <script>` with the Node that runs this file: no shell, the same on Linux,
// macOS and Windows. Ctrl-C (or quit) stops every node (SIGTERM, then SIGKILL after a grace period). Each node
// also has an IPC channel to the runner: if the runner dies without stopping them (kill -9), the channel closes
// and server.ts shuts itself down (it listens for 'disconnect'), so no node is left holding its port. A node you
// restart while the network is cut is told the cut again.
//
// Shared with the other runners rather than copied: the lock (queue/node/lock.ts), the terminal (store's
// run-screen.ts), the HTTP helper (store's run-http.ts), splitWords and blocksFor (store's run-commands.ts).
// Copied because they are module-private there (a few lines each): portInUse, onLines, sleep.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { http as request } from '../../store/node/run-http.ts';
import { Screen } from '../../store/node/run-screen.ts';
import { RaftClient } from './client.ts';
import { blocksFor, HELP, parseCommand, runKv, splitWords, tellCut, type Command } from './run-commands.ts';
import { currentLeader, hasStatus, renderView, summaryLine, type NodeSnapshot, type RaftStatus } from './run-view.ts';
import { BASE_PORT, NODE_NAMES, raftTopology, type RaftNodeSpec } from './topology.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = path.resolve(process.env.DATA_DIR || path.join(repoRoot, 'examples', 'raft', '.data'));
const basePort = Number(process.env.RAFT_BASE_PORT || BASE_PORT);
const nodes = raftTopology(basePort).map((n) => (process.env.RAFT_SERVER_SCRIPT ? { ...n, script: process.env.RAFT_SERVER_SCRIPT } : n));
const urls = Object.fromEntries(nodes.map((n) => [n.name, `http://127.0.0.1:${n.port}`]));
const STOP_GRACE_MS = 5_000;
const VIEW_EVERY_MS = 500;
const SUMMARY_EVERY_MS = Number(process.env.RAFT_SUMMARY_EVERY_MS || 5_000);

if (process.argv.length > 2) {
  const help = ['-h', '--help'].includes(process.argv[2]!);
  const usage = `usage: npm run example:raft
  Five Raft nodes on 127.0.0.1:${BASE_PORT + 1}-${BASE_PORT + 5} with a live view and a prompt (type help there).
  environment: DATA_DIR (default examples/raft/.data), KEEP_DATA=1 (start on the last run's disks),
               RAFT_BASE_PORT (default ${BASE_PORT}: node i on RAFT_BASE_PORT + i), RAFT_SERVER_SCRIPT (your own node),
               RAFT_SNAPSHOT_EVERY (default 50 here: a snapshot every 50 applied entries; 0 = never)`;
  (help ? console.log : console.error)(help ? usage : `example:raft takes no arguments (got ${process.argv.slice(2).join(' ')})\n\n${usage}`);
  process.exit(help ? 0 : 2);
}
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_530) {
  console.error(`RAFT_BASE_PORT must be a whole number from 1 to 65530 (node i listens on it + i), got "${process.env.RAFT_BASE_PORT}"`);
  process.exit(2);
}

const screen = new Screen(Math.max(...nodes.map((n) => n.name.length), 'runner'.length));
const say = (text: string) => screen.line('runner', text);

interface Running {
  spec: RaftNodeSpec;
  colour: number;
  child?: ChildProcess;
  /** Why it is not running: 'killed -9', 'stopped', 'exited 1'... */
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
let lastStatus: NodeSnapshot[] = [];
/** The cut the learner asked for (null: none). A node restarted meanwhile is told it again. */
let sides: string[][] | null = null;
/** The prompt's key commands go through one client (client.ts): exactly-once, numbering its requests. */
const client = new RaftClient({ members: urls, clientId: `runner-${process.pid}`, timeoutMs: 8_000 });

// #region spawn
function start(r: Running): void {
  const child = spawn(process.execPath, ['--import', 'tsx', r.spec.script], {
    cwd: repoRoot,
    env: { ...process.env, RAFT_SNAPSHOT_EVERY: process.env.RAFT_SNAPSHOT_EVERY ?? '50', ...r.spec.env, RAFT_DATA: path.join(dataDir, r.spec.name) },
    // The 'ipc' channel is how a node knows the runner is alive: when the runner dies, even by kill -9, the
    // channel closes and server.ts stops (it listens for 'disconnect'). No node outlives its runner.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Each node in its own process group: Ctrl-C reaches only the runner, which stops the nodes itself.
    detached: process.platform !== 'win32',
  });
  Object.assign(r, { child, stopped: undefined, expecting: undefined, answered: false });
  for (const stream of [child.stdout!, child.stderr!]) onLines(stream, (line) => screen.line(r.spec.name, line, r.colour));
  child.on('error', (err) => say(`${r.spec.name} could not be started: ${err.message}`));
  child.on('exit', (code, signal) => onExit(r, child, code, signal));
  say(`${r.spec.name} started, pid ${child.pid}, port ${r.spec.port}, data ${path.join(dataDir, r.spec.name)}`);
}
// #endregion spawn

function onExit(r: Running, child: ChildProcess, code: number | null, signal: string | null): void {
  if (r.child !== child) return;
  r.child = undefined;
  const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
  r.stopped = r.expecting === 'killed' ? 'killed -9' : (r.expecting ?? (signal !== null ? `killed ${signal === 'SIGKILL' ? '-9' : signal}` : `exited ${code}`));
  if (stopping) return;
  if (starting && r.expecting === undefined) {
    say(`${r.spec.name} ${how} before it answered (its own message above says why)`);
    void stopAll(`${r.spec.name} did not start`, 1);
    return;
  }
  if (r.expecting === undefined) say(`${r.spec.name} ${how}. It stays down until you type: restart ${r.spec.name}`);
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
/** Ports other parts of the course listen on by default (docs/reference/troubleshooting.md): never suggested. */
const COURSE_PORTS = [5173, 7100, 7101, 7102, 7103, 7104, 7105, 7300, 7301, 7302, 7600, 7700];

/**
 * Before anything starts: DATA_DIR's lock (no other runner on it), and five free ports. Only while we hold the
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
  lock = await lockDataDir(dataDir, { role: 'raft runner', print: say }).catch((err: unknown) => {
    if (err instanceof DataDirInUseError) refuse([`${err.message}: is npm run example:raft already running in another terminal?`], 'Stop it first (Ctrl-C or quit in its terminal), or give this run its own DATA_DIR and RAFT_BASE_PORT.');
    throw err;
  });
  const taken: RaftNodeSpec[] = [];
  for (const spec of nodes) if (await portInUse('127.0.0.1', spec.port)) taken.push(spec);
  if (taken.length > 0) {
    lock.release();
    const lines = taken.map((spec) => `port ${spec.port} (node ${spec.name}) is already in use on 127.0.0.1: another program is listening there (an earlier run? the Docker setup, docker/raft?)`);
    const ports = taken.map((spec) => spec.port);
    const who = `lsof ${ports.map((p) => `-i :${p}`).join(' ')} on Linux/macOS, netstat -ano | findstr "${ports.map((p) => `:${p}`).join(' ')}" on Windows, shows who it is`;
    const free = await freeBase(basePort);
    const other = free === null ? 'or set RAFT_BASE_PORT to a base whose next five ports are free' : `or use other ports (${free + 1}-${free + 5} are free now): RAFT_BASE_PORT=${free} npm run example:raft`;
    refuse(lines, `Stop that program (${who}), ${other}`);
  }
  if (process.env.KEEP_DATA === '1') {
    say(`KEEP_DATA=1: the nodes start on what the last run stored in ${dataDir}`);
  } else {
    const removed = nodes.map((n) => path.join(dataDir, n.name)).filter((dir) => fs.existsSync(dir));
    for (const dir of removed) fs.rmSync(dir, { recursive: true, force: true });
    if (removed.length > 0) say(`starting from empty disks (removed the previous run's ${removed.map((d) => path.basename(d)).join(', ')} in ${dataDir}; KEEP_DATA=1 keeps them)`);
  }
}

/** A base to suggest: the first of base+100, base+200, ... whose five node ports are free now and no course port. */
async function freeBase(from: number): Promise<number | null> {
  for (let candidate = from + 100; candidate + 5 <= 65_535 && candidate <= from + 5_000; candidate += 100) {
    const ports = [1, 2, 3, 4, 5].map((i) => candidate + i);
    if (ports.some((p) => COURSE_PORTS.includes(p))) continue;
    const busy = await Promise.all(ports.map((p) => portInUse('127.0.0.1', p).catch(() => true)));
    if (!busy.some(Boolean)) return candidate;
  }
  return null;
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
/** Runs one typed command; returns what to print. */
async function execute(words: string[]): Promise<{ ok: boolean; lines: string[] }> {
  const cmd: Command | { error: string } = parseCommand(words, NODE_NAMES);
  if ('error' in cmd) return { ok: false, lines: [cmd.error] };
  switch (cmd.kind) {
    case 'kill': {
      const r = running.get(cmd.node)!;
      if (r.child === undefined) return { ok: false, lines: [`${cmd.node} is not running (${r.stopped}); restart ${cmd.node} starts it`] };
      const pid = r.child.pid;
      const wasLeader = currentLeader(lastStatus)?.name === cmd.node;
      await signalNode(r, 'killed');
      return {
        ok: true,
        lines: [`${cmd.node} (pid ${pid}) killed with SIGKILL: a crash${wasLeader ? '. It was the leader: the others elect a new one once their election timeout (150-300 ms) passes without its heartbeats' : ''}. restart ${cmd.node} brings it back on its disk`],
      };
    }
    case 'restart': {
      const r = running.get(cmd.node)!;
      if (r.child !== undefined) await signalNode(r, 'stopped');
      start(r);
      const lines = [`${cmd.node} restarted as pid ${r.child?.pid} on its disk (${path.join(dataDir, cmd.node)}): it reads its term, vote, log and snapshot back, and catches up from the leader`];
      if (sides !== null) lines.push(await reapplyCut(r));
      return { ok: true, lines };
    }
    case 'partition':
    case 'heal': {
      sides = cmd.kind === 'partition' ? cmd.sides : null;
      const lines = await applyCut(NODE_NAMES.filter((n) => running.get(n)!.child !== undefined));
      const head = cmd.kind === 'partition' ? `partition: ${cmd.sides.map((s) => s.join(',')).join(' | ')} (POST /admin/block on every node)` : 'healed: every node talks to everyone again (POST /admin/heal on every node)';
      const down = NODE_NAMES.filter((n) => running.get(n)!.child === undefined);
      if (down.length > 0) lines.push(`${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down: told when restarted`);
      return { ok: !lines.some((l) => l.includes('failed')), lines: [head, ...lines] };
    }
    case 'status':
      // Asked now, not the view's last round (which may have started before a partition typed just before).
      return { ok: true, lines: renderView(await snapshot()) };
    case 'help':
      return { ok: true, lines: HELP };
    case 'quit':
      void stopAll('quit', 0);
      return { ok: true, lines: [] };
    default:
      return runKv(cmd, client);
  }
}

/**
 * Tells `names` the current cut: each one heals everything, then blocks the nodes on the other sides (none when
 * healed). The admin API keeps blocks in memory only, so a restarted node is told again (reapplyCut). Each line
 * is what the node answered (tellCut, run-commands.ts): its own list of blocked peers, or why it failed. A node
 * restarted a moment ago that does not listen yet is asked again until it does.
 */
async function applyCut(names: readonly string[]): Promise<string[]> {
  const blocks = sides === null ? {} : blocksFor(sides);
  const lines = await Promise.all(
    names.map(async (name) => {
      const r = running.get(name)!;
      const child = r.child;
      const starting = () => child !== undefined && r.child === child && !r.answered;
      return (await tellCut(name, urls[name]!, blocks[name] ?? [], (url, body) => request('POST', url, body, 3_000), starting)).line;
    }),
  );
  return lines.sort();
}

/** Once the restarted node answers, tells it the cut (the other nodes still block it; now it blocks them). */
async function reapplyCut(r: Running): Promise<string> {
  const name = r.spec.name;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && r.child !== undefined) {
    const up = await request('GET', `${urls[name]}/status`, undefined, 1_000).then((a) => a.status === 200, () => false);
    if (up) return (await applyCut([name]))[0]!.replace(/$/, ' (the partition still holds)');
    await sleep(200);
  }
  return `${name} did not answer within 20 s, so it does not know the partition yet; type the partition again once it is up`;
}

let typing = Promise.resolve();
/** Lines typed at the runner: raw keys on a terminal (so the prompt stays under the view), lines from a pipe. */
function readInput(): void {
  const submit = (line: string) => {
    const words = splitWords(line);
    if (words.length === 0) return;
    typing = typing.then(async () => {
      if (stopping) return;
      say(`> ${line.trim()}`);
      const result = await execute(words).catch((err: unknown) => ({ ok: false, lines: [`failed: ${err instanceof Error ? err.message : String(err)}`] }));
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
        if (ch === '\x04' && buffer === '') return void stopAll('Ctrl-D', 0);
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
  } else {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on('line', submit);
    rl.on('close', () => void typing.then(() => !stopping && say('input closed (end of the piped commands): the nodes keep running; Ctrl-C stops them')));
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
  const lines = [
    '--------------------------------------------------------------------------------',
    `Five Raft nodes are up (${urls.n1} ... ${urls.n5}). Type at the prompt under the view:`,
    '  put greeting hello       get greeting       delete greeting       cas greeting hello bonjour',
    '  kill n1                  (crash the leader, whichever it is: watch a new one take over)',
    '  restart n1               (it comes back on its disk and catches up)',
    '  partition n1 n2 | n3 n4 n5    heal      status      help      quit',
    'Or from a second terminal, with curl (a follower answers 421 and names the leader):',
    `  curl ${n1}/status`,
    `  curl -X PUT -H 'content-type: application/json' -d '{"value":"hello"}' ${n1}/kv/greeting`,
    `  curl ${n1}/kv/greeting`,
    'Windows: curl.exe, with double quotes and inner quotes as \\" .   Ctrl-C or quit stops all five nodes.',
    '--------------------------------------------------------------------------------',
  ];
  for (const line of lines) say(line);
}

// #region view
async function snapshot(): Promise<NodeSnapshot[]> {
  return Promise.all(
    nodes.map(async (spec) => {
      const r = running.get(spec.name)!;
      const status: RaftStatus | { error: string } =
        r.child === undefined
          ? { error: r.stopped ?? 'not running' }
          : await request('GET', `${urls[spec.name]}/status`, undefined, 400).then(
              (a) => (a.status === 200 ? (a.body as RaftStatus) : { error: `status ${a.status}` }),
              (e: Error) => ({ error: e.message }),
            );
      if (hasStatus(status)) r.answered = true;
      return { name: spec.name, port: spec.port, process: r.child?.pid !== undefined ? { pid: r.child.pid } : { stopped: r.stopped ?? 'not started' }, status };
    }),
  );
}

async function watch(): Promise<void> {
  let lastSummary = 0;
  let lastLeader = '';
  let previous = ''; // the last real leader, "n2 in term 3", for "(was ...)" even after a spell without one
  for (;;) {
    if (stopping) return;
    const started = Date.now();
    lastStatus = await snapshot();
    if (stopping) return;
    // A leader change is news, on a terminal and in a pipe alike.
    const leader = currentLeader(lastStatus);
    const key = leader === null ? 'none' : `${leader.name}/${leader.term}`;
    if (key !== lastLeader) {
      const before = lastLeader;
      lastLeader = key;
      if (leader !== null) {
        screen.line('view', `leader: ${leader.name} in term ${leader.term}${previous !== '' ? ` (was ${previous})` : ''}`);
        previous = `${leader.name} in term ${leader.term}`;
      } else if (before !== '') screen.line('view', 'no leader right now (an election is under way, or no majority can talk)');
    }
    if (screen.tty) {
      // A terminal cuts each line at its width: renderView narrows the table to fit (all fields at 80 columns).
      screen.setView([...renderView(lastStatus, process.stdout.columns || 80), '', `data ${dataDir}   type help, or Ctrl-C to stop everything`]);
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
