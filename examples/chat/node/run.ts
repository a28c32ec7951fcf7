// `npm run example:chat`: the chat system on your machine. The course bus on 127.0.0.1:7300 and two chat
// servers, s1 on 7301 and s2 on 7302 (the list lives in topology.ts), their output side by side under a
// "[bus]", "[s1]", "[s2]" prefix. Open http://localhost:7301 and http://localhost:7302 in two browser windows
// and chat; kill a server and watch its window reconnect to the other one and catch up.
//
// You drive it by typing at its prompt: `kill s1` (SIGKILL: a crash), `stop s1` (SIGTERM: a clean stop),
// `restart s1`, `status`, `help`. Or kill a server from another terminal with the `kill <pid>` it prints.
//
//   npm run example:chat                   the course bus (its log in .data/chat/bus)
//   npm run example:chat -- --bus redis    Redis instead (a redis-server on 127.0.0.1:7300, memory only)
//
// Data: the bus keeps its log in DATA_DIR/bus (DATA_DIR = .data/chat by default, ignored by git). A run starts
// with an empty history unless KEEP_DATA=1, which keeps what the last run stored. A chat server keeps nothing:
// kill and restart one, and the history is still there, because it lives in the bus.
//
// Before it starts anything, the runner takes DATA_DIR's lock (a second run on it stops at once, naming the
// first) and checks that its three ports are free; if one is taken it says which and exits 1, having started
// and deleted nothing (it names a base whose three ports are free). CHAT_BASE_PORT=7400 moves everything
// (bus 7400, s1 7401, s2 7402); each chat server is told the real ports (CHAT_PEERS), so its page fails over.
//
// Every process is `node --import tsx <script>` with the Node that runs this file (no shell: the same on
// Linux, macOS and Windows) and an IPC channel to the runner: if the runner dies, even by kill -9, the channel
// closes and each process stops itself (redis-server runs under redis-watchdog.ts, which stops it then).
// Ctrl-C stops everything.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../../queue/node/lock.ts';
import { Screen } from '../../store/node/run-screen.ts';
import { BASE_PORT, BUS_NAME, chatPeers, chatTopology, pageUrl, SERVER_NAMES, type ChatProcessSpec } from './topology.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = path.resolve(process.env.DATA_DIR || path.join(repoRoot, '.data', 'chat'));
const basePort = Number(process.env.CHAT_BASE_PORT || BASE_PORT);
const STOP_GRACE_MS = 5_000;
const REDIS_WATCHDOG = 'examples/chat/node/redis-watchdog.ts';

export const USAGE = `usage: npm run example:chat [-- --bus course|redis]

  --bus course   the course's own bus (examples/chat/node/bus-server.ts), the default
  --bus redis    Redis as the bus (needs redis-server installed: apt-get install redis-server, brew install redis)
  environment:   DATA_DIR (default .data/chat), KEEP_DATA=1 (keep the last run's history),
                 CHAT_BASE_PORT (default ${BASE_PORT}: bus on it, s1 and s2 on the next two ports)`;

function parseArgs(argv: string[]): { bus: 'course' | 'redis' } | { error: string } | { help: true } {
  let bus: 'course' | 'redis' = 'course';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { help: true };
    const value = arg === '--bus' ? argv[++i] : arg.startsWith('--bus=') ? arg.slice('--bus='.length) : undefined;
    if (value === undefined) return { error: arg === '--bus' ? '--bus needs a value: course or redis' : `unknown argument ${JSON.stringify(arg)}` };
    if (value !== 'course' && value !== 'redis') return { error: `--bus must be course or redis, got ${JSON.stringify(value)}` };
    bus = value;
  }
  return { bus };
}

const args = parseArgs(process.argv.slice(2));
if ('help' in args) {
  console.log(USAGE);
  process.exit(0);
}
if ('error' in args) {
  console.error(`example:chat: ${args.error}\n\n${USAGE}`);
  process.exit(2);
}
const busKind = args.bus;

const specs: ChatProcessSpec[] = chatTopology(basePort).map((spec) => {
  if (spec.name === BUS_NAME && busKind === 'redis') {
    return { ...spec, script: 'redis-server', env: {} };
  }
  if (spec.name !== BUS_NAME && busKind === 'redis') return { ...spec, env: { ...spec.env, BUS: `redis://127.0.0.1:${basePort}` } };
  return spec;
});
const screen = new Screen(Math.max(...specs.map((s) => s.name.length), 'runner'.length));
const say = (text: string) => screen.line('runner', text);

interface Running {
  spec: ChatProcessSpec;
  colour: number;
  child?: ChildProcess;
  /** Set just before the runner signals it, so the exit is described as what it was. */
  expecting?: 'killed' | 'stopped';
}

const running = new Map<string, Running>(specs.map((spec, i) => [spec.name, { spec, colour: i }]));
let starting = true;
let stopping = false;
let lock: DataDirLock | undefined;

// #region spawn
function start(r: Running): void {
  const isRedis = r.spec.script === 'redis-server';
  // redis-server through redis-watchdog.ts, which stops it when our IPC channel closes (redis has none itself).
  const redisArgs = ['--port', String(r.spec.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const command = process.execPath;
  const argv = isRedis ? ['--import', 'tsx', REDIS_WATCHDOG, ...redisArgs] : ['--import', 'tsx', r.spec.script];
  // The bus gets its log directory; a chat server the list of chat servers its page may reconnect to (the real
  // ports, so failover works with CHAT_BASE_PORT too).
  const extra = r.spec.name === BUS_NAME ? (isRedis ? {} : { DATA_DIR: path.join(dataDir, 'bus') }) : { CHAT_PEERS: chatPeers(basePort).join(',') };
  const env = { ...process.env, ...r.spec.env, ...extra };
  const child = spawn(command, argv, {
    cwd: repoRoot,
    env,
    // The 'ipc' channel is how a process knows the runner is alive.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Each in its own process group: Ctrl-C reaches only the runner, which stops them itself.
    detached: process.platform !== 'win32',
  });
  Object.assign(r, { child, expecting: undefined });
  for (const stream of [child.stdout!, child.stderr!]) onLines(stream, (line) => screen.line(r.spec.name, line, r.colour));
  child.on('error', (err) => say(`${r.spec.name} could not be started: ${err.message}`));
  child.on('exit', (code, signal) => onExit(r, child, code, signal));
  if (r.spec.name !== BUS_NAME) say(`${r.spec.name} started, pid ${child.pid}, on ${pageUrl(r.spec.port)}`);
  else say(`${isRedis ? 'redis-server' : 'the course bus'} started, pid ${child.pid}, on 127.0.0.1:${r.spec.port}${isRedis ? ' (memory only)' : `, its log in ${path.join(dataDir, 'bus')}`}`);
}
// #endregion spawn

function onExit(r: Running, child: ChildProcess, code: number | null, signal: string | null): void {
  if (r.child !== child) return;
  r.child = undefined;
  if (stopping) return;
  const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
  if (starting && r.expecting === undefined) {
    say(`${r.spec.name} ${how} before it was ready (its own message above says why)`);
    void stopAll(`${r.spec.name} did not start`, 1);
    return;
  }
  if (r.expecting === 'killed') say(`${r.spec.name} killed (SIGKILL: a crash, no goodbye to its clients). Their pages reconnect to the other server. Start it again with: restart ${r.spec.name}`);
  else if (r.expecting === 'stopped') say(`${r.spec.name} stopped (SIGTERM: it closed its clients with 1001). Start it again with: restart ${r.spec.name}`);
  else say(`${r.spec.name} ${how}. It stays down until you type: restart ${r.spec.name}`);
}

async function signal(r: Running, kind: 'killed' | 'stopped'): Promise<void> {
  const child = r.child;
  if (child === undefined) return;
  r.expecting = kind;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killTree(child, kind === 'killed' ? 'SIGKILL' : 'SIGTERM');
  const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (!inTime) {
    killTree(child, 'SIGKILL');
    await exited;
  }
}

/** A process and what it started (redis-watchdog's redis-server): its whole process group, where there are groups. */
function killTree(child: ChildProcess, sig: NodeJS.Signals): void {
  if (process.platform !== 'win32' && child.pid !== undefined) {
    try {
      process.kill(-child.pid, sig);
      return;
    } catch {
      // the group is gone already, or was never one: the process alone
    }
  }
  child.kill(sig);
}

// #region stop-all
async function stopAll(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${reason}: stopping the chat servers and the bus`);
  const servers = [...running.values()].filter((r) => r.spec.name !== BUS_NAME);
  await Promise.all(servers.map((r) => signal(r, 'stopped'))); // servers first: they close their clients with 1001
  await signal(running.get(BUS_NAME)!, 'stopped');
  lock?.release();
  say('all stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll('Ctrl-C', 0));
process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
process.on('SIGHUP', () => void stopAll('terminal closed', 0));
process.on('exit', () => {
  for (const r of running.values()) if (r.child !== undefined) killTree(r.child, 'SIGKILL'); // last resort: nothing outlives the runner
});
// #endregion stop-all

// #region preflight
async function preflight(): Promise<void> {
  const refuse = (problems: string[], advice: string): never => {
    for (const p of problems) say(p);
    say(`Nothing was started or deleted. ${advice}`);
    process.exit(1);
  };
  if (busKind === 'redis' && spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    refuse(['--bus redis needs redis-server, and it is not installed (or not on PATH).'], 'Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), or run without --bus redis to use the course bus.');
  }
  fs.mkdirSync(dataDir, { recursive: true });
  lock = await lockDataDir(dataDir, { role: 'chat runner', print: say }).catch((err: unknown) => {
    if (err instanceof DataDirInUseError) refuse([`${err.message}: is npm run example:chat already running in another terminal?`], 'Stop it first (Ctrl-C in its terminal), or give this run its own DATA_DIR and CHAT_BASE_PORT.');
    throw err;
  });
  const taken: ChatProcessSpec[] = [];
  for (const spec of specs) if (await portInUse('127.0.0.1', spec.port)) taken.push(spec);
  if (taken.length > 0) {
    lock.release();
    const lines = taken.map((spec) => `port ${spec.port} (${spec.name === BUS_NAME ? 'the bus' : `chat server ${spec.name}`}) is already in use on 127.0.0.1: another program is listening there (an earlier run? the Docker setup, docker/chat?)`);
    const ports = taken.map((spec) => spec.port);
    const who = `lsof ${ports.map((p) => `-i :${p}`).join(' ')} on Linux/macOS, netstat -ano | findstr "${ports.map((p) => `:${p}`).join(' ')}" on Windows, shows who it is`;
    const free = await freeBase(basePort);
    const other = free === null ? 'or set CHAT_BASE_PORT to a base whose next two ports are free too' : `or use other ports (${free}, ${free + 1}, ${free + 2} are free now): CHAT_BASE_PORT=${free} npm run example:chat`;
    refuse(lines, `Stop that program (${who}), ${other}`);
  }
  const busDir = path.join(dataDir, 'bus');
  if (busKind === 'course' && fs.existsSync(busDir)) {
    if (process.env.KEEP_DATA === '1') say(`KEEP_DATA=1: the bus starts with the history the last run stored in ${busDir}`);
    else {
      fs.rmSync(busDir, { recursive: true, force: true });
      say(`starting with an empty history (removed the last run's ${busDir}; KEEP_DATA=1 keeps it)`);
    }
  }
}

/** Ports other parts of the course listen on by default (docs/reference/troubleshooting.md), never suggested. */
const COURSE_PORTS = [5173, 7100, 7101, 7102, 7103, 7104, 7105, BASE_PORT, BASE_PORT + 1, BASE_PORT + 2, 7600, 7700];

/** A base port to suggest: the first of base+100, base+200, ... whose three ports are free now and no course port. */
async function freeBase(from: number): Promise<number | null> {
  for (let candidate = from + 100; candidate <= 65_533 && candidate <= from + 5_000; candidate += 100) {
    const ports = [candidate, candidate + 1, candidate + 2];
    if (ports.some((p) => COURSE_PORTS.includes(p))) continue;
    const busy = await Promise.all(ports.map((p) => portInUse('127.0.0.1', p).catch(() => true)));
    if (!busy.some(Boolean)) return candidate;
  }
  return null;
}

function portInUse(onHost: string, onPort: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
    probe.listen(onPort, onHost, () => probe.close(() => resolve(false)));
  });
}
// #endregion preflight

// #region commands
const HELP = [
  'kill s1      crash s1 (SIGKILL): its pages reconnect to s2 and catch up',
  'stop s1      stop s1 cleanly (SIGTERM): it closes its clients with 1001 first',
  'restart s1   start s1 again (after kill or stop); the history is still there, it lives in the bus',
  'status       what runs, with pids and URLs',
  'help         this list.   Ctrl-C stops everything.',
];

async function execute(line: string): Promise<string[]> {
  const [verb, name] = line.trim().split(/\s+/);
  if (verb === undefined || verb === '') return [];
  if (verb === 'help') return HELP;
  if (verb === 'status') return statusLines();
  if (verb === 'quit' || verb === 'exit') {
    void stopAll('quit', 0);
    return [];
  }
  if (verb !== 'kill' && verb !== 'stop' && verb !== 'restart') return [`unknown command "${verb}"; type help`];
  const names = [...SERVER_NAMES, BUS_NAME];
  if (name === undefined || !names.includes(name)) return [`${verb} what? one of ${names.join(', ')} (e.g. ${verb} s1)`];
  const r = running.get(name)!;
  if (verb === 'restart') {
    if (r.child !== undefined) await signal(r, 'stopped');
    start(r);
    return name === BUS_NAME ? [] : [`${name} is pid ${r.child?.pid} now: kill ${r.child?.pid} (or type kill ${name}) to kill it again`];
  }
  if (r.child === undefined) return [`${name} is not running; restart ${name} starts it`];
  const pid = r.child.pid;
  await signal(r, verb === 'kill' ? 'killed' : 'stopped');
  return [`${name} (pid ${pid}) ${verb === 'kill' ? 'killed with SIGKILL' : 'stopped with SIGTERM'}`];
}

function statusLines(): string[] {
  return specs.map((spec) => {
    const r = running.get(spec.name)!;
    const where = spec.name === BUS_NAME ? `127.0.0.1:${spec.port}` : pageUrl(spec.port);
    return `${spec.name.padEnd(4)} ${where.padEnd(24)} ${r.child?.pid !== undefined ? `running, pid ${r.child.pid}` : 'down'}`;
  });
}

function readInput(): void {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  let typing = Promise.resolve();
  rl.on('line', (line) => {
    typing = typing.then(async () => {
      for (const l of await execute(line)) say(`  ${l}`);
    });
  });
  rl.on('error', () => {});
}
// #endregion commands

function printHowToPlay(): void {
  const [s1, s2] = SERVER_NAMES.map((n) => running.get(n)!);
  const pid = (r: Running | undefined) => r?.child?.pid ?? '?';
  const lines = [
    '--------------------------------------------------------------------------------',
    `The chat is up, with ${busKind === 'redis' ? 'Redis' : 'the course bus'} joining two chat servers. Open both in two browser windows:`,
    `  ${pageUrl(s1!.spec.port)}     (chat server s1)`,
    `  ${pageUrl(s2!.spec.port)}     (chat server s2)`,
    'Chat in one window, read in the other. Then kill a server and watch its window reconnect to the other',
    'one and catch up, with no message missing and none twice:',
    `  type: kill s1   or, from another terminal:  kill -9 ${pid(s1)}  (a crash)   kill ${pid(s1)}  (a clean stop)   Windows: taskkill /F /PID ${pid(s1)}`,
    `  type: kill s2   or, from another terminal:  kill -9 ${pid(s2)}  (a crash)   kill ${pid(s2)}  (a clean stop)   Windows: taskkill /F /PID ${pid(s2)}`,
    '  type: restart s1   to start it again (the history is still there: it lives in the bus)',
    `Each server also answers ${pageUrl(s1!.spec.port)}/status (JSON: its connections, rooms, presence, the bus).`,
    busKind === 'redis'
      ? `The bus is redis-server on 127.0.0.1:${basePort}, memory only: its history is gone when this run stops.`
      : `History: the bus keeps up to 1,000 messages per room in ${path.join(dataDir, 'bus')} (KEEP_DATA=1 keeps them for the next run).`,
    'Type help for the commands. Ctrl-C stops everything.',
    '--------------------------------------------------------------------------------',
  ];
  for (const line of lines) say(line);
}

async function ready(r: Running): Promise<boolean> {
  if (r.spec.name === BUS_NAME) return portInUse('127.0.0.1', r.spec.port).catch(() => false);
  try {
    const res = await fetch(`http://127.0.0.1:${r.spec.port}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  await preflight();
  say(`data: ${dataDir} (DATA_DIR to change it)`);
  for (const r of running.values()) start(r);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (stopping) return;
    const states = await Promise.all([...running.values()].map((r) => ready(r)));
    if (states.every(Boolean)) break;
    if (Date.now() > deadline) {
      const silent = [...running.values()].filter((_, i) => !states[i]).map((r) => r.spec.name);
      return stopAll(`${silent.join(', ')} not ready within 60 s`, 1);
    }
    await sleep(200);
  }
  starting = false;
  printHowToPlay();
  readInput();
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
