// Running the docker, docker-compose, tar and ldd commands from Node, without a shell.
//
// Arguments go to the program as an array (no shell quoting, nothing bash-specific), so the harness runs
// the same on any machine that has the programs. Output is captured, and a failing command throws with
// its stderr, because a docker test that fails with "exit code 1" and nothing else costs an hour.

import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Return the result instead of throwing when the exit code is not 0. */
  allowFail?: boolean;
  /** Kill the command after this long (it then counts as failed). */
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !opts.allowFail) {
        const shown = [cmd, ...args].join(' ');
        reject(new Error(`\`${shown}\` exited ${result.code}${signal ? ` (${signal})` : ''}\n${stderr || stdout}`));
      } else {
        resolve(result);
      }
    });
  });
}

/**
 * Pipe one command's stdout into another's stdin (`a | b`, without a shell). Used to stream the base
 * image's tarball straight from `tar` into `docker import`, so no 500 MB file lands in /tmp.
 */
export function pipe(
  from: { cmd: string; args: string[]; cwd?: string },
  to: { cmd: string; args: string[]; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const a = spawn(from.cmd, from.args, { cwd: from.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(to.cmd, to.args, { env: to.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let aErr = '';
    let stdout = '';
    let stderr = '';
    a.stderr?.on('data', (d: Buffer) => (aErr += d.toString()));
    b.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    b.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    if (a.stdout && b.stdin) a.stdout.pipe(b.stdin);
    b.stdin?.on('error', () => {}); // b dying early shows up as its exit code, not as EPIPE here
    let aCode: number | null = null;
    let bCode: number | null = null;
    const settle = (): void => {
      if (aCode === null || bCode === null) return;
      if (aCode !== 0) reject(new Error(`${from.cmd} exited ${aCode}\n${aErr}`));
      else if (bCode !== 0) reject(new Error(`${to.cmd} ${to.args.join(' ')} exited ${bCode}\n${stderr}`));
      else resolve({ code: 0, stdout, stderr });
    };
    a.on('error', reject);
    b.on('error', reject);
    a.on('close', (code) => ((aCode = code ?? 1), settle()));
    b.on('close', (code) => ((bCode = code ?? 1), settle()));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value (not undefined) or `timeoutMs` passes; never asserts a duration. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

/** One progress line with the time since start, so a long CI log shows where the minutes went. */
const started = Date.now();
export function log(line: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[docker-test ${s}s] ${line}`);
}
