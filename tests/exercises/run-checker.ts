// Run the exercise checker the way a learner does (`npm run check -- ...` is `node --import tsx
// examples/exercises/check.ts ...`), with plain output, and collect what it prints.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import type { Exercise } from '../../examples/exercises/types.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXERCISES = join(ROOT, 'examples/exercises');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const names = readdirSync(EXERCISES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXERCISES, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

export interface Run { code: number | null; stdout: string; stderr: string }

/** Run the checker; NO_COLOR keeps the output plain. */
export function check(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHECK_TIMEOUT_MS: '60000', ...env };
    delete base.FORCE_COLOR; // would override NO_COLOR (and make Node print a warning)
    delete base.INIT_CWD; // as if run from the repository root: --file paths are taken from ROOT
    const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/exercises/check.ts', ...args], {
      cwd: ROOT,
      env: base,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Never leave a checker behind, whatever happens to the test.
    const guard = setTimeout(() => proc.kill('SIGTERM'), 150_000); // the checker kills its child on SIGTERM
    proc.on('error', fail);
    proc.on('close', (code) => {
      clearTimeout(guard);
      done({ code, stdout, stderr });
    });
  });
}

export async function loadExercise(name: string): Promise<Exercise<unknown>> {
  return ((await import(pathToFileURL(join(EXERCISES, name, 'index.ts')).href)) as { exercise: Exercise<unknown> }).exercise;
}

export function summary(out: string): { passed: number; failed: number } {
  const m = /^(\d+) passed, (\d+) failed/m.exec(out);
  if (m === null) throw new Error(`no summary line in:\n${out}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

/** The block the checker prints for one check: its verdict line and the indented lines under it. */
export function block(out: string, checkName: string): string | undefined {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l === `✘ ${checkName}` || l === `✔ ${checkName}`);
  if (at < 0) return undefined;
  const end = lines.findIndex((l, i) => i > at && !l.startsWith('    '));
  return lines.slice(at, end < 0 ? undefined : end).join('\n');
}

/** The hint lines, in order, of every failed check. */
export function hints(out: string): string[] {
  return out.split('\n').filter((l) => l.startsWith('    hint: ')).map((l) => l.slice('    hint: '.length));
}

// ---- what the exercise tests assert again and again ------------------------------------------------------

/** A fixture's path from the repository root, as a learner passes a file to --file. */
export const fixture = (name: string): string => relative(ROOT, join(FIXTURES, name));

/** Expect the check `name` to have passed (✔) in the checker's output. */
export function passed(out: string, name: string): void {
  expect(block(out, name), out).toMatch(/^✔/);
}

/** Expect the check `name` to have failed (✘); returns its block, for what the test asserts of it. */
export function failed(out: string, name: string): string {
  const b = block(out, name);
  expect(b, out).toMatch(/^✘/);
  return b!;
}

/** Run exercise `ex` against the reference solution (extra arguments: `--seed N`); it must pass. */
export async function runSolution(ex: string, ...args: string[]): Promise<Run> {
  const r = await check([ex, '--solution', ...args]);
  expect(r.code, r.stdout).toBe(0);
  return r;
}

/**
 * Run exercise `ex` on the untouched starter `file`: every one of its `total` checks fails, the first hint
 * says to start with TODO 1 in that file, and `firstCheck`'s block points at the file's own line.
 */
export async function runStarter(ex: string, file: string, total: number, firstCheck: string): Promise<Run> {
  const r = await check([ex]);
  expect(r.code).toBe(1);
  expect(summary(r.stdout)).toEqual({ passed: 0, failed: total });
  expect(hints(r.stdout)[0]).toMatch(new RegExp(`^Start with TODO 1 in ${file.replace(/\./g, '\\.')}`));
  expect(failed(r.stdout, firstCheck)).toContain(`at examples/exercises/${ex}/${file}:`);
  return r;
}

/** Run exercise `ex` on the wrong answer fixtures/`name`; the checker must fail it. */
export async function runWrong(ex: string, name: string): Promise<Run> {
  const r = await check([ex, '--file', fixture(name)]);
  expect(r.code).toBe(1);
  return r;
}
