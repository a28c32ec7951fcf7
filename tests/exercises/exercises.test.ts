// Every exercise, graded by the real checker the way a learner runs it (`node --import tsx
// examples/exercises/check.ts <name>`): the reference solution must pass every check, and the untouched
// starter file must fail at least one (otherwise the exercise asks for nothing). Exercises are discovered
// from the folders, so a new one is covered as soon as it exists. Plus the checker's own usage and failure
// handling: unknown exercise, a file that does not parse, and code that never returns.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exercise } from '../../examples/exercises/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXERCISES = join(ROOT, 'examples/exercises');
const names = readdirSync(EXERCISES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXERCISES, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

interface Run { code: number | null; stdout: string; stderr: string }

/** Run the checker as `npm run check` does; NO_COLOR keeps the output plain. */
function check(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHECK_TIMEOUT_MS: '60000', ...env };
    delete base.FORCE_COLOR; // would override NO_COLOR (and make Node print a warning)
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

async function loadExercise(name: string): Promise<Exercise<unknown>> {
  return ((await import(pathToFileURL(join(EXERCISES, name, 'index.ts')).href)) as { exercise: Exercise<unknown> }).exercise;
}

function summary(out: string): { passed: number; failed: number } {
  const m = /^(\d+) passed, (\d+) failed/m.exec(out);
  if (m === null) throw new Error(`no summary line in:\n${out}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

it('finds the exercises (at least Session 2, lease expiry)', () => {
  expect(names).toContain('02-lease-expiry');
});

describe.each(names)('exercise %s', (name) => {
  it('is complete: index.ts exports a valid exercise, with a starter, a solution, a page and hints', async () => {
    const ex = await loadExercise(name);
    expect(ex.title.length).toBeGreaterThan(0);
    expect(existsSync(join(EXERCISES, name, ex.learnerFile))).toBe(true);
    expect(existsSync(join(EXERCISES, name, 'solution.ts'))).toBe(true);
    expect(ex.page).toMatch(/^[\w-]+\/[\w-]+\.md$/);
    expect(ex.checks.length).toBeGreaterThan(0);
    for (const c of ex.checks) {
      expect(c.name.length, 'check name').toBeGreaterThan(0);
      expect(c.hint.length, `hint of "${c.name}"`).toBeGreaterThan(10);
    }
    expect(new Set(ex.checks.map((c) => c.name)).size, 'check names are unique').toBe(ex.checks.length);
  });

  it('the reference solution passes every check (exit 0)', async () => {
    const ex = await loadExercise(name);
    const r = await check([name, '--solution']);
    expect(r.stderr, r.stdout).not.toMatch(/error/i);
    for (const c of ex.checks) expect(r.stdout, r.stdout).toContain(`✔ ${c.name}\n`);
    expect(r.stdout).not.toContain('✘');
    expect(summary(r.stdout)).toEqual({ passed: ex.checks.length, failed: 0 });
    expect(r.code).toBe(0);
  });

  it('the untouched starter file fails at least one check, with a hint (exit 1)', async () => {
    const ex = await loadExercise(name);
    const r = await check([name]);
    expect(r.stdout).toContain(ex.learnerFile);
    let failed = 0;
    for (const c of ex.checks) {
      const ok = r.stdout.includes(`✔ ${c.name}\n`);
      const bad = r.stdout.includes(`✘ ${c.name}\n`);
      expect(ok !== bad, `exactly one verdict line for "${c.name}" in:\n${r.stdout}`).toBe(true);
      if (bad) {
        failed += 1;
        expect(r.stdout).toContain(`hint: ${c.hint}`);
      }
    }
    expect(failed).toBeGreaterThan(0);
    expect(summary(r.stdout)).toEqual({ passed: ex.checks.length - failed, failed });
    expect(r.code).toBe(1);
  });
});

describe('the checker itself', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'check-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists every exercise when called without a name (exit 0)', async () => {
    const r = await check([]);
    expect(r.code).toBe(0);
    for (const name of names) expect(r.stdout).toContain(name);
  });

  it('an unknown exercise is a usage error (exit 2) that lists the valid ones', async () => {
    const r = await check(['no-such-exercise']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown exercise "no-such-exercise"');
    for (const name of names) expect(r.stderr).toContain(name);
  });

  it('bad flags are usage errors too (exit 2)', async () => {
    expect((await check(['02-lease-expiry', '--solution', '--file', 'x.ts'])).code).toBe(2);
    expect((await check(['02-lease-expiry', '--frobnicate'])).code).toBe(2);
    expect((await check(['02-lease-expiry', '--file', join(tmp, 'missing.ts')])).code).toBe(2);
  });

  it('a file with a syntax error fails with a clear message naming the line, not a stack dump (exit 1)', async () => {
    const file = join(tmp, 'broken.ts');
    writeFileSync(file, 'export function reclaimExpired(state: unknown, now: number): string[] {\n  const x = ;\n  return [];\n}\n');
    const r = await check(['02-lease-expiry', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('could not be loaded');
    expect(r.stdout).toMatch(/broken\.ts:2:\d+/);
    expect(r.stdout).not.toMatch(/^\s+at .*node:internal/m);
    expect(summary(r.stdout).passed).toBe(0);
  });

  it('code that never returns fails by timeout instead of hanging the checker (exit 1)', async () => {
    const file = join(tmp, 'forever.ts');
    writeFileSync(file, 'export function reclaimExpired(state: unknown, now: number): string[] {\n  for (;;) now++;\n}\n');
    const r = await check(['02-lease-expiry', '--file', file], { CHECK_TIMEOUT_MS: '1000' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('timed out');
    expect(summary(r.stdout).passed).toBe(0);
  });

  it('an exception in the graded code is reported with its message and the line it came from', async () => {
    const file = join(tmp, 'throws.ts');
    writeFileSync(file, '// line 1\nexport function reclaimExpired(): string[] {\n  throw new RangeError("not yet");\n}\n');
    const r = await check(['02-lease-expiry', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not yet');
    expect(r.stdout).toMatch(/at .*throws\.ts:3:\d+/);
  });
});
