// `npm run example:queue`: the whole queue on your machine. Starts the broker, waits until it answers,
// then the producer and three workers (the list lives in topology.ts), shows their output side by side
// and a live status line, and tells you how to kill things and watch the queue recover.
//
// Before it starts anything, the runner checks that no other broker uses DATA_DIR (its lock, see lock.ts)
// and that the port is free; if either is taken it says so and exits 1, having started and deleted nothing.
//
// Environment (all optional):
//   DATA_DIR=examples/queue/.data  where the broker keeps its log. Each run starts from an empty log
//                                  unless KEEP_DATA=1.
//   PORT=7700                      the broker's port (the other processes are pointed at it)
//   HOST=127.0.0.1                 the broker's interface (see broker.ts)
//   JOBS, RATE, WORK_MS, FAIL_RATE, VISIBILITY_TIMEOUT_MS, MAX_ATTEMPTS
//                                  override the topology's value for every process that has that variable
//   EXIT_WHEN_DONE=1               stop everything and exit 0 once every job is done or dead
//   RESTART_BROKER=0               do not restart a broker that died (default: restart it, up to 5 times)
//
// Everything is started as `node --import tsx <script>` with the same Node that runs this file, so it
// works the same on Linux, macOS and Windows, without a shell.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, sleep } from './client.ts';
import { DataDirInUseError, lockDataDir } from './lock.ts';
import { RunnerOutput } from './run-output.ts';
import { removeQueueData } from './snapshot.ts';
import { topology, type ProcessSpec } from './topology.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = path.resolve(process.env.DATA_DIR || path.join(repoRoot, 'examples', 'queue', '.data'));
const port = process.env.PORT || topology.find((p) => p.role === 'broker')!.env.PORT!;
const host = process.env.HOST || '127.0.0.1'; // the broker's own default
// 127.0.0.1 rather than localhost: the broker listens on IPv4, and "localhost" may resolve to ::1 first.
const brokerUrl = `http://127.0.0.1:${port}`;
const OVERRIDABLE = ['JOBS', 'RATE', 'WORK_MS', 'FAIL_RATE', 'VISIBILITY_TIMEOUT_MS', 'MAX_ATTEMPTS'];
const STOP_GRACE_MS = 8_000; // workers get GRACE_MS (5 s) to finish a job; then we stop waiting

const out = new RunnerOutput([...topology.map((p) => p.name), 'status']);
const say = (text: string) => out.line('runner', text);
const children = new Map<string, ChildProcess>();
let stopping = false;
let brokerRestarts = 0;
let producerDone = false;
let brokerWasUp = false; // the first broker printed "broker listening on"
let brokerListening = false; // the current broker did
let onBrokerListening = () => {};

/** The topology's env for one process, with the runner's port, data dir and any overrides applied. */
function envFor(spec: ProcessSpec): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  for (const key of OVERRIDABLE) if (key in spec.env && process.env[key]) env[key] = process.env[key];
  if (spec.role === 'broker') Object.assign(env, { PORT: port, DATA_DIR: dataDir });
  else env.BROKER_URL = brokerUrl;
  return env;
}

// #region spawn
function start(spec: ProcessSpec, colourIndex: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
    cwd: repoRoot,
    env: envFor(spec),
    stdio: ['ignore', 'pipe', 'pipe'],
    // On Linux/macOS, Ctrl-C signals the whole process group. Each child gets its own group, so only the
    // runner hears Ctrl-C and can stop the children in order: workers first, the broker last.
    detached: process.platform !== 'win32',
  });
  children.set(spec.name, child);
  if (spec.role === 'broker') {
    brokerListening = false;
    // We drive the broker we started, never whoever else answers on the port: wait for ITS word.
    out.onLine(child.stdout!, (line) => {
      if (!line.startsWith('broker listening on ')) return;
      brokerListening = brokerWasUp = true;
      onBrokerListening();
    });
  }
  out.pipe(child.stdout!, spec.name, colourIndex);
  out.pipe(child.stderr!, spec.name, colourIndex);
  child.on('exit', (code, signal) => onExit(spec, colourIndex, code, signal));
  return child;
}
// #endregion spawn

function onExit(spec: ProcessSpec, colourIndex: number, code: number | null, signal: string | null): void {
  children.delete(spec.name);
  if (stopping) return;
  const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
  if (spec.role === 'producer') {
    producerDone = code === 0;
    say(code === 0 ? 'producer finished: every job is on the broker' : `producer ${how}`);
  } else if (spec.role === 'worker') {
    say(`${spec.name} ${how}. A job it held is leased to nobody now; when the lease expires the broker`);
    say(`hands it to another worker (watch for its next attempt). ${stillRunning()}`);
  } else if (!brokerWasUp || (signal === null && !brokerListening)) {
    // It refused to start (its own message above says why: the port, the lock, the log). Retrying would
    // not help, and our producer and workers must not talk to whatever else answers on the port.
    say(`broker ${how} before it was listening (its message above says why)`);
    void stopAll('the broker did not start', 1);
  } else if (process.env.RESTART_BROKER !== '0' && brokerRestarts < 5) {
    brokerRestarts += 1;
    say(`broker ${how}! Restarting it on the same DATA_DIR in 1 s: watch it replay its log.`);
    setTimeout(() => {
      if (!stopping) say(`broker restarted as pid ${start(spec, colourIndex).pid}`);
    }, 1_000);
  } else {
    say(`broker ${how}. Start it again by hand (same DATA_DIR) with:`);
    say(`  node --import tsx ${spec.script}   with PORT=${port} DATA_DIR=${dataDir}`);
  }
}

/** "4 processes still running: broker, producer, worker-1, worker-3." (the children that have not exited) */
function stillRunning(): string {
  const names = topology.map((p) => p.name).filter((name) => children.has(name));
  return `${names.length} ${names.length === 1 ? 'process' : 'processes'} still running: ${names.join(', ')}.`;
}

function printHowToBreakThings(): void {
  const kill = (pid: number | undefined) => `kill -9 ${pid}  (Linux/macOS)   taskkill /F /PID ${pid}  (Windows)`;
  say('--------------------------------------------------------------------------------');
  say('Things to try while it runs:');
  for (const [name, child] of children) {
    if (name.startsWith('worker')) say(`  crash ${name} mid-job:  ${kill(child.pid)}`);
  }
  const timeout = envFor(topology.find((p) => p.role === 'broker')!).VISIBILITY_TIMEOUT_MS;
  say(`    (its job comes back to another worker when the lease runs out, after ${Number(timeout) / 1000} s)`);
  say(`  crash the broker:        ${kill(children.get('broker')?.pid)}`);
  say('    (the runner restarts it on the same log; every acknowledged job survives)');
  say(`  look inside:             curl ${brokerUrl}/stats    curl "${brokerUrl}/jobs?status=dead"`);
  say('  stop everything:         Ctrl-C');
  say('--------------------------------------------------------------------------------');
}

// #region stop-all
/** Stops every child: SIGTERM, then SIGKILL if it is still there after a grace period. Nothing is left. */
async function stopAll(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  out.clearStatus();
  say(`${reason}: stopping all processes`);
  // Workers and producer first, so the broker is still there to take their last acks.
  await Promise.all([...children].filter(([name]) => name !== 'broker').map(([, c]) => stopChild(c)));
  const broker = children.get('broker');
  if (broker !== undefined) await stopChild(broker);
  say('all processes stopped');
  process.exit(exitCode);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM'); // on Windows this is an immediate kill: there are no signals to catch
  const inTime = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
}

process.on('SIGINT', () => void stopAll('Ctrl-C', 0));
process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
process.on('SIGHUP', () => void stopAll('terminal closed', 0));
// Last resort if the runner itself crashes: no child may outlive it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});
// #endregion stop-all

// #region preflight
/**
 * Before anything starts: no other broker may be using the data directory, and the port must be free.
 * Only while we hold the directory's lock may we delete the previous run's data; a live broker's log is
 * never touched. Exits 1 if either is taken, having started and deleted nothing.
 */
async function preflight(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const refuse = (problem: string, advice: string): never => {
    say(problem);
    say(`Nothing was started or deleted. ${advice}`);
    process.exit(1);
  };
  const lock = await lockDataDir(dataDir, { role: 'runner', print: say }).catch((err: unknown) => {
    if (err instanceof DataDirInUseError) refuse(err.message, 'Two runs at once need different DATA_DIRs and PORTs.');
    throw err;
  });
  if (Number(port) !== 0 && (await portInUse(host, Number(port)))) {
    lock.release();
    refuse(
      `port ${port} is already in use on ${host}: another program is listening there (an earlier run? the Docker setup?)`,
      `Stop that program, or use another port: PORT=${Number(port) + 1} npm run example:queue`,
    );
  }
  if (process.env.KEEP_DATA !== '1') {
    const removed = removeQueueData(dataDir);
    if (removed.length > 0) say(`starting from an empty log (removed the previous run's ${removed.join(', ')} in ${dataDir}; KEEP_DATA=1 keeps them)`);
  }
  lock.release(); // the broker takes it from here
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

async function main(): Promise<void> {
  await preflight();
  const client = createClient(brokerUrl);
  const listening = new Promise<void>((resolve) => (onBrokerListening = resolve));
  topology.forEach((spec, i) => spec.role === 'broker' && start(spec, i));
  await listening; // if the broker exits first, onExit stops everything
  topology.forEach((spec, i) => spec.role !== 'broker' && start(spec, i));
  printHowToBreakThings();

  const producer = topology.find((p) => p.role === 'producer')!;
  const jobs = Number(envFor(producer).JOBS);
  // The status line: one GET /stats a second.
  for (;;) {
    await sleep(1_000);
    if (stopping) return;
    try {
      const s = await client.stats();
      out.setStatus(`pending ${s.pending}  leased ${s.leased}  done ${s.done}  dead ${s.dead}  (total ${s.total} of ${jobs})`);
      const settled = s.pending === 0 && s.leased === 0 && s.total >= jobs;
      if (process.env.EXIT_WHEN_DONE === '1' && producerDone && settled) {
        return stopAll(`all ${s.total} jobs settled (${s.done} done, ${s.dead} dead)`, 0);
      }
    } catch {
      out.setStatus('broker unreachable');
    }
  }
}

main().catch((err) => {
  say(`runner failed: ${err instanceof Error ? err.message : err}`);
  void stopAll('error', 1);
});
