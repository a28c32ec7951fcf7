// Starting real Node processes from tests, watching their output, and ALWAYS cleaning them up.
//
// Every process started with `startScript` is remembered; `stopAll()` (call it in afterEach/afterAll)
// SIGKILLs whatever is still running and waits until it is gone. A process-exit hook does the same as a
// last resort, so a crashed test file leaves nothing behind.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Every line printed so far (stdout and stderr). */
  lines: string[];
  exited: Promise<Exit>;
  running(): boolean;
  /** Resolves with the first line (already printed or future) that matches; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

const started = new Set<Proc>();
const tempDirs = new Set<string>();

/** Starts `node --import tsx <script>` (script relative to the repository root) with extra env. */
export function startScript(script: string, env: Record<string, string>, name = path.basename(script, '.ts')): Proc {
  return startCommand(process.execPath, ['--import', 'tsx', script], env, name);
}

/** Starts any command in the repository root with extra env, watched and cleaned up like startScript. */
export function startCommand(command: string, args: string[], env: Record<string, string>, name: string): Proc {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      for (const l of listeners) l();
    });
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (process.env.SHOW_OUTPUT) console.log(`[${name}] ${line}`);
      }
      for (const l of listeners) l();
    });
  }

  const proc: Proc = {
    name,
    child,
    pid: child.pid ?? -1,
    lines,
    exited,
    running: () => exit === null,
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let checked = 0;
        const check = () => {
          for (; checked < lines.length; checked++) {
            const m = pattern.exec(lines[checked]!);
            if (m !== null) return finish(() => resolve(m));
          }
          if (exit !== null) {
            finish(() => reject(new Error(`${name} exited (${JSON.stringify(exit)}) before printing ${pattern}\n${tail(lines)}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms\n${tail(lines)}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (exit === null) child.kill(signal);
      return exited;
    },
  };
  started.add(proc);
  return proc;
}

function tail(lines: string[]): string {
  return lines.slice(-15).map((l) => `    | ${l}`).join('\n');
}

/** Kills every process a test started (SIGKILL) and removes temp dirs. Safe to call more than once. */
export async function stopAll(): Promise<void> {
  const procs = [...started];
  started.clear();
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.on('exit', () => {
  for (const p of started) if (p.running()) p.child.kill('SIGKILL');
});

export function makeTempDir(prefix = 'queue-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A port that was free a moment ago (the OS picks it). Prefer PORT=0 where the program prints its port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `condition` until it returns a truthy value; never asserts how long that took. */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** True if a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
