// npm run bench:chat: what the bus costs, measured. 1,000 WebSocket clients in 100 rooms on loopback, on two
// chat servers joined by the course bus, on two joined by Redis, and on one server alone (the baseline), one
// after the other in one run: copies delivered per second and the delivery latency (send -> every member).
//
//   npm run bench:chat                  the full run (about 2 minutes); writes tests/bench/results/chat.json
//                                       and regenerates docs/real-time/parts/chat-bench.md
//   npm run bench:chat -- --quick       200 clients in 20 rooms, short windows; prints only
//   npm run bench:chat -- --render      only regenerates the page part from the saved JSON
//   options: --clients=N --rooms=N      (clients are spread evenly over the rooms)
//            --workers=N                load-generator processes (default 2; each owns whole rooms)
//            --rate=N                   the fixed load: messages a second per client (default 0.5)
//            --seconds=N                each measured window (default 8)
//            --only=one-server,bus,redis,bus-fsync,redis-fsync   which systems
//            --no-durable               skip the pair with fsync (course bus with DATA_DIR, Redis appendfsync always)
//            --note="..."               a remark printed beside the figures (e.g. that the machine was busy)
//            --write/--no-write         a full default run writes the figures; other runs only print them
//
// Each system is measured twice (chat-load.ts says how): at a fixed load, for the latency, and flat out (each
// client's next message goes when its own copy of the previous is back), for the most copies delivered per
// second. The servers' rate limit (20 frames/s per connection) stays as it is: clients never send faster
// than 18 a second. During each window the CPU of every process is read, so the report can say whether the
// system or the load generator (which shares the machine) was the limit.
//
// A benchmark, not a test: it is not part of `npm test`. Ctrl-C stops every process it started.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { BUS_SCRIPT, SERVER_SCRIPT } from '../../examples/chat/node/topology.ts';
import { defaultLimits } from '../../examples/chat/core/types.ts';
import { freePort, makeTempDir, REPO_ROOT, startCommand, startScript, stopAll, type Proc } from '../helpers/processes.ts';
import { REDIS_MISSING, redisAvailable } from '../helpers/redis.ts';
import { cpuMs } from './servers.ts';
import type { ConnectCommand, RunCommand, RunResult, WorkerCommand, WorkerReply } from './chat-load.ts';
import {
  cpuPerMessage,
  LABELS,
  ratioLines,
  renderSavedChatReport,
  systemEvents,
  summarize,
  table,
  writeChatReport,
  type ChatBenchReport,
  type Phase,
  type PhaseResult,
  type SystemKey,
  type SystemRun,
} from './chat-report.ts';
import { int, msText } from './store-report.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const text = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag('quick');
const clients = Number(text('clients') ?? (quick ? 200 : 1000));
const rooms = Number(text('rooms') ?? (quick ? 20 : 100));
const seconds = Number(text('seconds') ?? (quick ? 3 : 8));
const settings: ChatBenchReport['settings'] = {
  clients,
  rooms,
  perRoom: Math.floor(clients / rooms),
  workers: Number(text('workers') ?? 2),
  textChars: 100,
  warmupMs: quick ? 1_000 : 2_000,
  durationMs: seconds * 1000,
  drainMs: 5_000,
  perClientPerSec: Number(text('rate') ?? 0.5),
  maxPerClientPerSec: 18,
  rateLimitPerSec: defaultLimits.ratePerSecond,
  durable: !flag('no-durable'),
};
const ALL: SystemKey[] = ['one-server', 'bus', 'redis', 'bus-fsync', 'redis-fsync'];
const only = text('only')?.split(',') as SystemKey[] | undefined;
const note = text('note');
const write = flag('write') || (!quick && !flag('no-write') && args.every((a) => !/^--(clients|rooms|seconds|only|rate|workers)=/.test(a) && a !== '--no-durable'));

const print = (line = '') => console.log(line);

if (!Number.isInteger(settings.perRoom) || settings.perRoom < 2 || settings.perRoom * rooms !== clients) {
  console.error(`--clients (${clients}) must be a multiple of --rooms (${rooms}), at least 2 per room`);
  process.exit(2);
}
if (!(settings.perClientPerSec > 0 && settings.perClientPerSec <= settings.maxPerClientPerSec)) {
  console.error(`--rate must be above 0 and at most ${settings.maxPerClientPerSec} messages a second per client`);
  process.exit(2);
}

// ---- the systems ------------------------------------------------------------------------------------------

interface Running {
  key: SystemKey;
  label: string;
  bus: string;
  version: string | null;
  urls: string[];
  /** Their output, for the events worth reporting (a lost bus, clients closed). */
  outputs: Proc[];
  /** The processes whose CPU is the system's, by role. */
  procs: { role: string; pid: number }[];
  stop(): Promise<void>;
}

const SYSTEMS: Record<SystemKey, { label: string; servers: number; kind: 'bus' | 'redis'; durable: boolean }> = {
  'one-server': { label: LABELS['one-server'], servers: 1, kind: 'bus', durable: false },
  bus: { label: LABELS.bus, servers: 2, kind: 'bus', durable: false },
  redis: { label: LABELS.redis, servers: 2, kind: 'redis', durable: false },
  'bus-fsync': { label: LABELS['bus-fsync'], servers: 2, kind: 'bus', durable: true },
  'redis-fsync': { label: LABELS['redis-fsync'], servers: 2, kind: 'redis', durable: true },
};

function redisVersion(): string | null {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? (/v=(\S+)/.exec(out.stdout)?.[1] ?? out.stdout.trim()) : null;
}

async function startSystem(key: SystemKey): Promise<Running> {
  const spec = SYSTEMS[key];
  const procs: Proc[] = [];
  const roles: { role: string; pid: number }[] = [];
  let busUrl: string;
  let busText: string;
  let version: string | null = null;
  if (spec.kind === 'bus') {
    const env = { PORT: '0', DATA_DIR: spec.durable ? makeTempDir('chat-bench-bus-') : '' };
    const bus = startScript(BUS_SCRIPT, env, 'bus');
    procs.push(bus);
    const m = await bus.waitForLine(/listening on ws:\/\/[^\s]+:(\d+)/, 30_000);
    busUrl = `ws://127.0.0.1:${m[1]}`;
    busText = spec.durable ? 'course bus with a DATA_DIR (fsync before every answer)' : 'course bus in memory (no DATA_DIR)';
    roles.push({ role: 'bus', pid: bus.pid });
  } else {
    if (!redisAvailable()) throw new Error(REDIS_MISSING);
    const port = await freePort();
    const persistence = spec.durable
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', makeTempDir('chat-bench-redis-')]
      : ['--appendonly', 'no', '--dir', os.tmpdir()];
    const redis = startCommand('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {}, `redis-${port}`);
    procs.push(redis);
    await redis.waitForLine(/Ready to accept connections/, 20_000);
    busUrl = `redis://127.0.0.1:${port}`;
    version = redisVersion();
    busText = `Redis ${version ?? ''} ${spec.durable ? '(appendonly yes, appendfsync always)' : "in memory (--save '' --appendonly no)"}`.replace(/\s+/g, ' ');
    roles.push({ role: 'redis', pid: redis.pid });
  }
  const urls: string[] = [];
  for (let i = 1; i <= spec.servers; i++) {
    const server = startScript(SERVER_SCRIPT, { CHAT_ID: `s${i}`, PORT: '0', BUS: busUrl }, `s${i}`);
    procs.push(server);
    const m = await server.waitForLine(/listening on http:\/\/[^\s]+:(\d+)/, 60_000);
    urls.push(`ws://127.0.0.1:${m[1]}/ws`);
    roles.push({ role: `s${i}`, pid: server.pid });
  }
  return {
    key,
    label: spec.label,
    bus: busText,
    version,
    urls,
    outputs: procs,
    procs: roles,
    stop: async () => {
      for (const p of procs.reverse()) await p.kill('SIGKILL');
    },
  };
}

// ---- the load generator -------------------------------------------------------------------------------------

const workers = new Set<ChildProcess>();

interface Worker {
  child: ChildProcess;
  ask(cmd: WorkerCommand): void;
  next<T extends WorkerReply['type']>(type: T): Promise<Extract<WorkerReply, { type: T }>>;
  onProgress?: (sent: number, delivered: number) => void;
}

function startWorker(): Worker {
  const child = fork(new URL('./chat-load.ts', import.meta.url).pathname, [], { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  workers.add(child);
  child.on('exit', () => workers.delete(child));
  child.on('error', () => {}); // a send on a closed channel; its exit says the rest
  const waiting: { type: string; resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  const worker: Worker = {
    child,
    // A process already gone (Ctrl-C reached it first) has no channel: nothing to tell it then.
    ask: (cmd) => void (child.connected && child.send(cmd, () => {})),
    next: (type) =>
      new Promise((resolve, reject) => waiting.push({ type, resolve: resolve as (r: WorkerReply) => void, reject })),
  };
  child.on('message', (reply: WorkerReply) => {
    if (reply.type === 'progress') return worker.onProgress?.(reply.sent, reply.delivered);
    if (reply.type === 'failed') {
      for (const w of waiting.splice(0)) w.reject(new Error(`load generator: ${reply.error}`));
      return;
    }
    const i = waiting.findIndex((w) => w.type === reply.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(reply);
  });
  child.on('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`a load-generator process exited (${code ?? signal})`));
  });
  return worker;
}

async function connectClients(system: Running, seed: number): Promise<{ pool: Worker[]; ms: number }> {
  const t0 = performance.now();
  const names = Array.from({ length: rooms }, (_, i) => `bench-${i}`);
  const pool = Array.from({ length: Math.min(settings.workers, rooms) }, () => startWorker());
  const connected = pool.map((w) => w.next('connected'));
  pool.forEach((w, k) => {
    const cmd: ConnectCommand = { type: 'connect', urls: system.urls, rooms: names.filter((_, i) => i % pool.length === k), perRoom: settings.perRoom, prefix: `${system.key}-w${k}`, seed: seed * 100 + k };
    w.ask(cmd);
  });
  await Promise.all(connected);
  return { pool, ms: performance.now() - t0 };
}

async function measure(system: Running, pool: Worker[], phase: Phase): Promise<PhaseResult> {
  const cmd: RunCommand = {
    type: 'run',
    mode: phase,
    perClientPerSec: settings.perClientPerSec,
    maxPerClientPerSec: settings.maxPerClientPerSec,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    drainMs: settings.drainMs,
    textChars: settings.textChars,
  };
  const what = phase === 'rate' ? `fixed load, ${int(clients * settings.perClientPerSec)} sent/s` : 'flat out';
  print(`   ${what}: ${settings.warmupMs / 1000} s warm-up, ${settings.durationMs / 1000} s measured`);
  // progress: each worker reports its running totals every second; print the sum's growth
  const totals = pool.map(() => ({ sent: 0, delivered: 0 }));
  let shown = { sent: 0, delivered: 0, at: performance.now() };
  pool.forEach((w, k) => (w.onProgress = (sent, delivered) => (totals[k] = { sent, delivered })));
  const ticker = setInterval(() => {
    const sent = totals.reduce((s, t) => s + t.sent, 0);
    const delivered = totals.reduce((s, t) => s + t.delivered, 0);
    const now = performance.now();
    const secs = (now - shown.at) / 1000;
    if (sent > shown.sent || delivered > shown.delivered) {
      print(`     ${int((sent - shown.sent) / secs).padStart(6)} sent/s  ${int((delivered - shown.delivered) / secs).padStart(7)} copies delivered/s`);
    }
    shown = { sent, delivered, at: now };
  }, 2_000);
  // the servers' CPU over the window (the workers measure their own)
  const cpuStart = new Map<string, number>();
  const cpuEnd = new Map<string, number>();
  let machineStart: MachineCpu | null = null;
  let machineEnd: MachineCpu | null = null;
  const t0 = setTimeout(() => {
    system.procs.forEach((p) => cpuStart.set(p.role, cpuMs(p.pid) ?? NaN));
    machineStart = machineCpu();
  }, settings.warmupMs);
  const t1 = setTimeout(() => {
    system.procs.forEach((p) => cpuEnd.set(p.role, cpuMs(p.pid) ?? NaN));
    machineEnd = machineCpu();
  }, settings.warmupMs + settings.durationMs);
  let results: RunResult[];
  try {
    const replies = pool.map((w) => w.next('result'));
    for (const w of pool) w.ask(cmd);
    results = (await Promise.all(replies)).map((r) => r.result);
  } finally {
    clearInterval(ticker);
    clearTimeout(t0);
    clearTimeout(t1);
  }
  const cpu: Record<string, number> = {};
  for (const p of system.procs) {
    const used = (cpuEnd.get(p.role) ?? NaN) - (cpuStart.get(p.role) ?? NaN);
    if (Number.isFinite(used)) cpu[p.role] = Math.round((used / settings.durationMs) * 1000) / 10;
  }
  const result = summarize(results, cpu, machineBusy(machineStart, machineEnd), os.cpus().length);
  const trouble = [
    result.missing > 0 ? `${int(result.missing)} of ${int(result.expectedCopies)} copies MISSING` : '',
    result.duplicates > 0 ? `${int(result.duplicates)} DUPLICATES` : '',
    Object.keys(result.errors).length > 0 ? `errors ${JSON.stringify(result.errors)}` : '',
    Object.keys(result.closes).length > 0 ? `closes ${JSON.stringify(result.closes)}` : '',
  ].filter((x) => x !== '');
  print(
    `   => ${int(result.sendsPerSec)} sent/s, ${int(result.deliveredPerSec)} copies delivered/s, latency p50 ${msText(result.latency.p50)} ms, p99 ${msText(result.latency.p99)} ms` +
      (trouble.length > 0 ? `; ${trouble.join('; ')}` : ''),
  );
  const per = cpuPerMessage(result);
  print(`      CPU (% of a core, µs per message): ${Object.entries(result.cpu).map(([k, v]) => `${k} ${Math.round(v)}% ${int(per[k] ?? NaN)} µs`).join(', ')}; whole machine ${Math.round(result.machineBusy)}% busy; limited by ${result.bottleneck}`);
  return result;
}

/** The whole machine's CPU time so far, busy and in all (the first line of /proc/stat, in clock ticks). */
interface MachineCpu {
  busy: number;
  total: number;
}
function machineCpu(): MachineCpu | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return null;
  }
}
function machineBusy(a: MachineCpu | null, b: MachineCpu | null): number {
  return a === null || b === null || b.total <= a.total ? NaN : ((b.busy - a.busy) / (b.total - a.total)) * 100;
}

async function stopWorkers(pool: Worker[]): Promise<void> {
  await Promise.all(
    pool.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
          w.child.once('exit', () => resolve());
          w.ask({ type: 'close' });
          setTimeout(() => w.child.kill('SIGKILL'), 3_000).unref();
        }),
    ),
  );
}

// ---- the run ----------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`,
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  print(`chat bench on ${machine.cpu}, ${machine.memory}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' ')}`);
  print(`${int(clients)} clients, ${settings.perRoom} in each of ${rooms} rooms, from ${settings.workers} load-generator processes`);
  let keys = (only ?? ALL).filter((k) => ALL.includes(k));
  if (!settings.durable) keys = keys.filter((k) => !SYSTEMS[k].durable);
  if (!redisAvailable()) {
    print(`Redis is not measured: ${REDIS_MISSING}`);
    keys = keys.filter((k) => SYSTEMS[k].kind !== 'redis');
  }
  const systems: SystemRun[] = [];
  for (const [n, key] of keys.entries()) {
    print(`\n${n + 1}/${keys.length} ${SYSTEMS[key].label}`);
    const system = await startSystem(key);
    print(`   started: ${system.bus}; servers ${system.urls.join(' ')} (pids ${system.procs.map((p) => `${p.role} ${p.pid}`).join(', ')})`);
    const { pool, ms } = await connectClients(system, n + 1);
    print(`   ${int(clients)} clients connected and joined in ${int(ms)} ms`);
    const phases: SystemRun['phases'] = {};
    try {
      for (const phase of ['rate', 'closed'] as const) phases[phase] = await measure(system, pool, phase);
    } finally {
      await stopWorkers(pool);
      await system.stop();
    }
    const events = systemEvents(system.outputs.map((p) => ({ name: p.name.startsWith('redis') ? 'redis' : p.name, lines: p.lines })));
    if (Object.keys(events).length > 0) print(`   the system reported: ${Object.entries(events).map(([k, v]) => `${v}× ${k}`).join(', ')}`);
    systems.push({ key, label: system.label, servers: SYSTEMS[key].servers, bus: system.bus, version: system.version, connectMs: ms, phases, events });
  }

  const report: ChatBenchReport = {
    date: new Date(started).toISOString(),
    command: 'npm run bench:chat',
    ...(note === undefined ? {} : { note }),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
    settings,
    systems,
    seconds: (Date.now() - started) / 1000,
  };
  print('\n' + table(report).map((l) => `   ${l}`).join('\n'));
  print('\n' + ratioLines(report).map((l) => `   ${l}`).join('\n'));
  print(`\ndone in ${int(report.seconds)} s; load average now ${report.machine.loadAverageAtEnd.join(' ')}`);
  if (write) print(`wrote ${writeChatReport(report).join(' and ')}`);
  else print('(figures not written: --quick, --no-write or non-default options; add --write to write them anyway)');
}

// Ctrl-C or an error must not leave servers, Redis or load generators running, nor temporary directories.
let stopping: Promise<void> | null = null;
async function shutdown(code: number): Promise<never> {
  for (const w of workers) w.kill('SIGKILL');
  stopping ??= stopAll(); // SIGKILL to the bus, Redis and the servers, temp dirs removed
  await stopping;
  process.exit(code);
}
process.on('SIGINT', () => {
  print('\ninterrupted: stopping the servers, the bus and the load generators');
  void shutdown(130);
});
process.on('SIGTERM', () => void shutdown(143));

if (flag('render')) {
  print(`wrote ${renderSavedChatReport()} from the figures saved in tests/bench/results/chat.json`);
  process.exit(0);
}

main().then(
  () => shutdown(0),
  (err: unknown) => {
    console.error('\nbench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    void shutdown(1);
  },
);
