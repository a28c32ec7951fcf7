// The two servers under test, started by the bench on loopback with their own temporary data directories,
// and always stopped by pid (also on Ctrl-C or an error): our broker (examples/queue/node/broker.ts, fsync
// on as always) and beanstalkd with its binlog and `-f 0` (fsync after every write).
// Plus what we read about a running process from Linux's /proc: resident memory and CPU time.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BROKER } from '../helpers/queue.ts';
import { freePort, REPO_ROOT, waitFor } from '../helpers/processes.ts';
import { BeanstalkClient } from './beanstalk.ts';
import { BrokerHttp } from './broker-http.ts';

const tempDirs = new Set<string>();
const children = new Set<ChildProcess>(); // every server process this bench started and has not stopped yet

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export interface RunningBroker {
  child: ChildProcess;
  pid: number;
  port: number;
  dataDir: string;
  /** Milliseconds from spawning the process until GET /health answered. */
  startMs: number;
  /** Everything it printed so far (for error messages). */
  output: string[];
}

/** Starts our broker on a free port and waits until it answers /health. `nodeArgs` e.g. ['--cpu-prof']. */
export async function startBroker(dataDir: string, nodeArgs: string[] = []): Promise<RunningBroker> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', BROKER], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter((l) => l !== '')) {
          output.push(line);
          const m = /broker listening on http:\/\/[^:]+:(\d+)/.exec(line);
          if (m !== null) resolve(Number(m[1]));
        }
      });
    }
    child.once('exit', (code, signal) => reject(new Error(`the broker exited (${code ?? signal}) while starting:\n${output.join('\n')}`)));
  });
  const http = new BrokerHttp(port, 1);
  try {
    await waitFor('broker /health', () => http.healthy(), 60_000, 5);
  } finally {
    http.close();
  }
  return { child, pid: child.pid ?? -1, port, dataDir, startMs: performance.now() - started, output };
}

/** SIGTERM (a clean stop: the broker flushes its log, a --cpu-prof profile gets written), SIGKILL if stuck. */
export async function stopBroker(broker: RunningBroker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await stopChild(broker.child, signal);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const BEANSTALKD = process.env.BEANSTALKD ?? '/usr/bin/beanstalkd';

export function beanstalkdInstalled(): boolean {
  return spawnSync(BEANSTALKD, ['-v'], { encoding: 'utf8' }).status === 0;
}

export function beanstalkdVersion(): string {
  return spawnSync(BEANSTALKD, ['-v'], { encoding: 'utf8' }).stdout.trim();
}

export interface RunningBeanstalkd {
  child: ChildProcess;
  pid: number;
  port: number;
  dir: string;
}

/** beanstalkd -l 127.0.0.1 -p PORT -b DIR -f 0: the binlog in DIR, fsynced after every write. */
export async function startBeanstalkd(): Promise<RunningBeanstalkd> {
  const dir = tempDir('bench-beanstalkd-');
  const port = await freePort();
  const child = spawn(BEANSTALKD, ['-l', '127.0.0.1', '-p', String(port), '-b', dir, '-f', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(
    'beanstalkd to accept connections',
    async () => {
      if (child.exitCode !== null) throw new Error(`beanstalkd exited (${child.exitCode}): ${stderr}`);
      const client = await BeanstalkClient.connect(port);
      client.close();
      return true;
    },
    30_000,
    20,
  );
  return { child, pid: child.pid ?? -1, port, dir };
}

export async function stopBeanstalkd(server: RunningBeanstalkd): Promise<void> {
  await stopChild(server.child, 'SIGTERM');
}

/** Stops every server the bench started (by pid) and removes every temporary directory. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, 'SIGKILL')));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort if the bench dies some other way: no server outlives it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Resident memory of a process in bytes (VmRSS in /proc/<pid>/status), null where /proc is missing. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms; null where /proc is missing. */
export function cpuMs(pid: number): number | null {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s (USER_HZ is 100 on Linux).
    // The command name (field 2) may contain spaces, so count fields from the closing parenthesis.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Total size in bytes of every file under `dir` (the log, its segments, snapshots...). */
export function dirBytes(dir: string): number {
  return dirFiles(dir).reduce((sum, f) => sum + f.bytes, 0);
}

/** Every file under `dir`, with its size, by name. */
export function dirFiles(dir: string, prefix = ''): { name: string; bytes: number }[] {
  const files: { name: string; bytes: number }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...dirFiles(full, `${prefix}${entry.name}/`));
    else if (entry.isFile()) files.push({ name: prefix + entry.name, bytes: fs.statSync(full).size });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}
